// The coordinate reference systems reproject knows, by EPSG code, each as a way to and from geographic
// lon/lat in radians. Every pair goes through geographic coordinates, as proj4's transform does.
//
// Datums: proj4 applies no shift between any two of these. 4326 and the UTM codes are +datum=WGS84 (the
// same datum: nothing to do); 3857 is +nadgrids=@null with datumCode "none" and 3035 has +ellps=GRS80 and
// no datum or towgs84, and proj4's datum_transform returns the point untouched whenever either side has
// no datum (PJD_NODATUM). So WGS84 lon/lat go straight into the sphere of 3857 and the GRS80 ellipsoid of
// 3035 (ETRS89 and WGS84 agree to well under a metre, and EPSG's own transformation between them is null).
import { D2R, R2D, put } from "./common";
import { Etmerc } from "./etmerc";
import { Laea } from "./laea";
import { mercForward, mercInverse } from "./merc";

export const LONGLAT: i32 = 0;
export const MERCATOR: i32 = 1;
export const UTM: i32 = 2;
export const LAEA: i32 = 3;

export const SUPPORTED = "EPSG:4326, 3857, 3035, 32601-32660, 32701-32760";

/** The projection family of an EPSG code, or -1 if reproject does not support it. */
export function family(code: i32): i32 {
  if (code == 4326) return LONGLAT;
  if (code == 3857) return MERCATOR;
  if (code == 3035) return LAEA;
  if ((code >= 32601 && code <= 32660) || (code >= 32701 && code <= 32760)) return UTM;
  return -1;
}

export class Crs {
  kind: i32;
  tm: Etmerc | null = null;
  laea: Laea | null = null;

  /** code must be supported (see family). */
  constructor(code: i32) {
    this.kind = family(code);
    if (this.kind == UTM) this.tm = new Etmerc(code % 100, code > 32700);
    else if (this.kind == LAEA) this.laea = new Laea();
  }

  /** Coordinates in this CRS → lon/lat radians, into outX/outY. */
  // @ts-ignore: decorator
  @inline toGeographic(x: f64, y: f64): void {
    const kind = this.kind;
    if (kind == LONGLAT) put(x * D2R, y * D2R);
    else if (kind == MERCATOR) mercInverse(x, y);
    else if (kind == UTM) changetype<Etmerc>(this.tm).inverse(x, y);
    else changetype<Laea>(this.laea).inverse(x, y);
  }

  /** lon/lat radians → coordinates in this CRS, into outX/outY. */
  // @ts-ignore: decorator
  @inline fromGeographic(lam: f64, phi: f64): void {
    const kind = this.kind;
    if (kind == LONGLAT) put(lam * R2D, phi * R2D);
    else if (kind == MERCATOR) mercForward(lam, phi);
    else if (kind == UTM) changetype<Etmerc>(this.tm).forward(lam, phi);
    else changetype<Laea>(this.laea).forward(lam, phi);
  }
}
