// The coordinate reference systems reproject knows, by EPSG code, each as a way to and from geographic
// lon/lat in radians. Every pair goes through geographic coordinates, as proj4's transform does. Each
// code's parameters are those of its proj4 definition (the one epsg.io and PROJ export, which the host's
// faaslets/abi/crs-names.ts also holds, to resolve proj4 strings to codes); angles are passed in degrees
// and the projections convert them with proj4's `degrees * D2R`.
//
// Datums: proj4 applies no shift between any two of these, so neither does reproject.
//  - WGS84: 4326, 326xx/327xx and the polar stereographics (+datum=WGS84: towgs84 0,0,0, datum type
//    "WGS84"). Nothing to do between them.
//  - GRS80 without a datum: 3035, 3034 and ETRS89's 258xx (+ellps=GRS80). proj4's datum_transform returns
//    the point untouched whenever either side has no datum (PJD_NODATUM).
//  - GRS80 with towgs84 zero: 2154 (+ellps=GRS80 +towgs84=0,0,0,0,0,0,0) and NAD83's 5070 and 3338
//    (+datum=NAD83, towgs84 0,0,0). Datum type "WGS84" like WGS84 itself, and compareDatums treats GRS80
//    and WGS84 as the same ellipsoid (|Δe²| = 2.2e-14 < 5e-11): no shift either.
//  - 3857: +nadgrids=@null, datumCode "none": no datum, so no shift.
// So WGS84 lon/lat go straight into the sphere of 3857 and the GRS80 ellipsoid of the ETRS89, RGF93 and
// NAD83 systems (these agree with WGS84 to about a metre, and EPSG's own transformations between them and
// WGS84 are null ones). What each projection does depend on is its own ellipsoid, GRS80 or WGS84: their
// semi-minor axes differ by 0.1 mm, which moves projected coordinates by up to about that much.
import { A_GRS80, A_WGS84, D2R, R2D, RF_GRS80, RF_WGS84, minorAxis, put } from "./common";
import { Aea } from "./aea";
import { Etmerc } from "./etmerc";
import { Laea } from "./laea";
import { Lcc } from "./lcc";
import { mercForward, mercInverse } from "./merc";
import { Stere } from "./stere";

export const LONGLAT: i32 = 0;
export const MERCATOR: i32 = 1;
/** transverse Mercator: the UTM zones, WGS84 (326xx, 327xx) and ETRS89 (258xx) */
export const UTM: i32 = 2;
export const LAEA: i32 = 3;
export const LCC: i32 = 4;
export const AEA: i32 = 5;
export const STERE: i32 = 6;

/** Every code family() accepts, as the faaslet's refusals name them. Keep in step with family(). */
export const SUPPORTED = "EPSG:2154, 3031, 3032, 3034, 3035, 3338, 3413, 3857, 3976, 3995, 4326, 5041, 5042, 5070, 25828-25838, 32601-32660, 32701-32760";

/** The projection family of an EPSG code, or -1 if reproject does not support it. */
export function family(code: i32): i32 {
  if (code == 4326) return LONGLAT;
  if (code == 3857) return MERCATOR;
  if (code == 3035) return LAEA;
  if ((code >= 32601 && code <= 32660) || (code >= 32701 && code <= 32760)) return UTM;
  if (code >= 25828 && code <= 25838) return UTM; // ETRS89 / UTM zones 28N-38N (EPSG defines no others)
  if (code == 2154 || code == 3034) return LCC;
  if (code == 5070 || code == 3338) return AEA;
  if (code == 3413 || code == 3995 || code == 3031 || code == 3976 || code == 3032 || code == 5041 || code == 5042) return STERE;
  return -1;
}

export class Crs {
  kind: i32;
  tm: Etmerc | null = null;
  laea: Laea | null = null;
  lcc: Lcc | null = null;
  aea: Aea | null = null;
  stere: Stere | null = null;

  /** code must be supported (see family). */
  constructor(code: i32) {
    const kind = family(code);
    this.kind = kind;
    // b from 1/f as proj4 derives it: (1 − 1/rf)·a
    const bWgs84 = minorAxis(A_WGS84, RF_WGS84);
    const bGrs80 = minorAxis(A_GRS80, RF_GRS80);
    if (kind == UTM) {
      // +proj=utm +zone=z [+south] +datum=WGS84 | +proj=utm +zone=z +ellps=GRS80
      if (code >= 32601) this.tm = Etmerc.utm(A_WGS84, bWgs84, code % 100, code > 32700);
      else this.tm = Etmerc.utm(A_GRS80, bGrs80, code % 100, false);
    } else if (kind == LAEA) {
      this.laea = new Laea();
    } else if (kind == LCC) {
      //                                   lat_1 lat_2 lat_0 lon_0  x_0        y_0
      if (code == 2154) this.lcc = new Lcc(A_GRS80, bGrs80, 49.0, 44.0, 46.5, 3.0, 700000.0, 6600000.0);
      else this.lcc = new Lcc(A_GRS80, bGrs80, 35.0, 65.0, 52.0, 10.0, 4000000.0, 2800000.0); // 3034
    } else if (kind == AEA) {
      //                                   lat_1 lat_2 lat_0  lon_0   x_0  y_0   (+datum=NAD83: GRS80)
      if (code == 5070) this.aea = new Aea(A_GRS80, bGrs80, 29.5, 45.5, 23.0, -96.0, 0.0, 0.0);
      else this.aea = new Aea(A_GRS80, bGrs80, 55.0, 65.0, 50.0, -154.0, 0.0, 0.0); // 3338
    } else if (kind == STERE) {
      //                                        lat_0  lon_0  k    lat_ts  x_0 = y_0
      if (code == 3413) this.stere = new Stere(A_WGS84, bWgs84, 90.0, -45.0, 1.0, 70.0, 0.0, 0.0);
      else if (code == 3995) this.stere = new Stere(A_WGS84, bWgs84, 90.0, 0.0, 1.0, 71.0, 0.0, 0.0);
      else if (code == 3031) this.stere = new Stere(A_WGS84, bWgs84, -90.0, 0.0, 1.0, -71.0, 0.0, 0.0);
      else if (code == 3976) this.stere = new Stere(A_WGS84, bWgs84, -90.0, 0.0, 1.0, -70.0, 0.0, 0.0);
      else if (code == 3032) this.stere = new Stere(A_WGS84, bWgs84, -90.0, 70.0, 1.0, -71.0, 6000000.0, 6000000.0);
      else if (code == 5041) this.stere = new Stere(A_WGS84, bWgs84, 90.0, 0.0, 0.994, NaN, 2000000.0, 2000000.0);
      else this.stere = new Stere(A_WGS84, bWgs84, -90.0, 0.0, 0.994, NaN, 2000000.0, 2000000.0); // 5042
    }
  }

  /** Coordinates in this CRS → lon/lat radians, into outX/outY. */
  // @ts-ignore: decorator
  @inline toGeographic(x: f64, y: f64): void {
    const kind = this.kind;
    if (kind == LONGLAT) put(x * D2R, y * D2R);
    else if (kind == MERCATOR) mercInverse(x, y);
    else if (kind == UTM) changetype<Etmerc>(this.tm).inverse(x, y);
    else if (kind == LAEA) changetype<Laea>(this.laea).inverse(x, y);
    else if (kind == LCC) changetype<Lcc>(this.lcc).inverse(x, y);
    else if (kind == AEA) changetype<Aea>(this.aea).inverse(x, y);
    else changetype<Stere>(this.stere).inverse(x, y);
  }

  /** lon/lat radians → coordinates in this CRS, into outX/outY. */
  // @ts-ignore: decorator
  @inline fromGeographic(lam: f64, phi: f64): void {
    const kind = this.kind;
    if (kind == LONGLAT) put(lam * R2D, phi * R2D);
    else if (kind == MERCATOR) mercForward(lam, phi);
    else if (kind == UTM) changetype<Etmerc>(this.tm).forward(lam, phi);
    else if (kind == LAEA) changetype<Laea>(this.laea).forward(lam, phi);
    else if (kind == LCC) changetype<Lcc>(this.lcc).forward(lam, phi);
    else if (kind == AEA) changetype<Aea>(this.aea).forward(lam, phi);
    else changetype<Stere>(this.stere).forward(lam, phi);
  }
}
