// Albers equal-area conic (EPSG method 9822): proj4 2.22's projections/aea.js, ellipsoidal, ported term
// for term. Used by EPSG:5070 (NAD83 / Conus Albers: +lat_1=29.5 +lat_2=45.5 +lat_0=23 +lon_0=-96, no
// false origin) and EPSG:3338 (NAD83 / Alaska Albers: +lat_1=55 +lat_2=65 +lat_0=50 +lon_0=-154), both on
// +datum=NAD83, which proj4 defines as the GRS80 ellipsoid with towgs84 0,0,0 (no shift from WGS84).
//
// The cone: n (ns0) and C (c) from the parallels' m and q (Snyder 14-12, 14-13), ρ = a·√(C − n·q(φ))/n.
// The inverse gets q back from ρ and solves it for φ with phi1z, Snyder's Newton iteration (3-16), which
// stops once a step is at most 1e-7 rad: the step after that is below 1e-14 rad, so the answer is exact
// to double precision all the same.
import { D2R, EPSLN, adjustLon, asinz, msfnz, put, qsfnz } from "./common";

/** phi1z gives up after this many Newton steps (proj4: returns null) ... */
const PHI1Z_STEPS: i32 = 25;
/** ... or stops once a step is at most this (radians) */
const PHI1Z_TOL: f64 = 1e-7;

export class Aea {
  a: f64;
  e3: f64;
  ns0: f64;
  c: f64;
  rh: f64;
  long0: f64;
  x0: f64;
  y0: f64;

  /**
   * The ellipsoid (a, b in metres), the standard parallels lat1 and lat2, the latitude and longitude of
   * the false origin (degrees, converted with proj4's `degrees * D2R`) and the false easting and northing.
   */
  constructor(a: f64, b: f64, lat1Deg: f64, lat2Deg: f64, lat0Deg: f64, lon0Deg: f64, x0: f64, y0: f64) {
    const lat1 = lat1Deg * D2R;
    const lat2 = lat2Deg * D2R;
    const lat0 = lat0Deg * D2R;
    this.a = a;
    this.long0 = lon0Deg * D2R;
    this.x0 = x0;
    this.y0 = y0;
    // (proj4 stops here when |lat1 + lat2| < EPSLN; no definition reproject knows is such a cone)
    const temp = b / a;
    const es = 1.0 - Math.pow(temp, 2.0); // aea.js's own e², from b/a (not deriveConstants')
    const e3 = Math.sqrt(es);
    this.e3 = e3;

    let sinPo = Math.sin(lat1);
    let cosPo = Math.cos(lat1);
    const con = sinPo;
    const ms1 = msfnz(e3, sinPo, cosPo);
    const qs1 = qsfnz(e3, sinPo);

    sinPo = Math.sin(lat2);
    cosPo = Math.cos(lat2);
    const ms2 = msfnz(e3, sinPo, cosPo);
    const qs2 = qsfnz(e3, sinPo);

    sinPo = Math.sin(lat0);
    const qs0 = qsfnz(e3, sinPo);

    this.ns0 = Math.abs(lat1 - lat2) > EPSLN ? (ms1 * ms1 - ms2 * ms2) / (qs2 - qs1) : con;
    this.c = ms1 * ms1 + this.ns0 * qs1;
    this.rh = this.a * Math.sqrt(this.c - this.ns0 * qs0) / this.ns0;
  }

  /** lon/lat radians → easting/northing metres, into outX/outY. */
  forward(lam: f64, phi: f64): void {
    const qs = qsfnz(this.e3, Math.sin(phi));
    const rh1 = this.a * Math.sqrt(this.c - this.ns0 * qs) / this.ns0;
    const theta = this.ns0 * adjustLon(lam - this.long0);
    put(rh1 * Math.sin(theta) + this.x0, this.rh - rh1 * Math.cos(theta) + this.y0);
  }

  /**
   * easting/northing metres → lon/lat radians, into outX/outY. Where phi1z does not converge (points far
   * outside the cone's disk) proj4's aea.js returns a null latitude, which its transform then carries on
   * as 0 (null · R2D); here the latitude is NaN instead: the one place reproject departs from proj4.
   */
  inverse(px: f64, py: f64): void {
    const x = px - this.x0;
    const y = this.rh - py + this.y0;
    let rh1: f64, con: f64;
    if (this.ns0 >= 0) {
      rh1 = Math.sqrt(x * x + y * y);
      con = 1.0;
    } else {
      rh1 = -Math.sqrt(x * x + y * y);
      con = -1.0;
    }
    let theta: f64 = 0;
    if (rh1 != 0) theta = Math.atan2(con * x, con * y);
    con = rh1 * this.ns0 / this.a;
    const qs = (this.c - con * con) / this.ns0;
    const lat = phi1z(this.e3, qs);
    put(adjustLon(theta / this.ns0 + this.long0), lat);
  }
}

/** The latitude whose q (qsfnz) is qs, by Newton's method (proj4's aea.js phi1z); NaN if it does not converge. */
function phi1z(eccent: f64, qs: f64): f64 {
  let phi = asinz(0.5 * qs);
  if (eccent < EPSLN) return phi;
  const eccnts = eccent * eccent;
  for (let i = 1; i <= PHI1Z_STEPS; i++) {
    const sinphi = Math.sin(phi);
    const cosphi = Math.cos(phi);
    const con = eccent * sinphi;
    const com = 1.0 - con * con;
    const dphi = 0.5 * com * com / cosphi * (qs / (1.0 - eccnts) - sinphi / com + 0.5 / eccent * Math.log((1.0 - con) / (1.0 + con)));
    phi = phi + dphi;
    if (Math.abs(dphi) <= PHI1Z_TOL) return phi;
  }
  return NaN;
}
