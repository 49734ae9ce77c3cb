// Lambert conformal conic with two standard parallels (EPSG method 9802): proj4 2.22's projections/lcc.js,
// ellipsoidal, ported term for term. Used by EPSG:2154 (RGF93 / Lambert-93: +lat_1=49 +lat_2=44
// +lat_0=46.5 +lon_0=3 +x_0=700000 +y_0=6600000, GRS80) and EPSG:3034 (ETRS89-extended / LCC Europe:
// +lat_1=35 +lat_2=65 +lat_0=52 +lon_0=10 +x_0=4000000 +y_0=2800000, GRS80).
//
// The cone: n (proj4's ns) from the two parallels' m and t (Snyder 15-8), F (f0) and the radius of the
// origin's parallel ρ0 (rh); a point's radius is a·F·t^n, its angle n·(λ − λ0). The inverse solves t back
// to φ with phi2z's fixed-point iteration.
import { D2R, EPSLN, HALF_PI, adjustLon, msfnz, phi2z, put, sign, tsfnz } from "./common";

export class Lcc {
  a: f64;
  e: f64;
  ns: f64;
  f0: f64;
  rh: f64;
  /** 1 for the 2SP method: proj4's default when +k_0 is absent, and the definitions above have none */
  k0: f64 = 1.0;
  long0: f64;
  x0: f64;
  y0: f64;

  /**
   * The ellipsoid (a, b in metres), the standard parallels lat1 and lat2, the latitude and longitude of
   * the false origin (all in degrees, converted with proj4's `degrees * D2R`) and the false easting and
   * northing in metres.
   */
  constructor(a: f64, b: f64, lat1Deg: f64, lat2Deg: f64, lat0Deg: f64, lon0Deg: f64, x0: f64, y0: f64) {
    const lat1 = lat1Deg * D2R;
    const lat2 = lat2Deg * D2R;
    const lat0 = lat0Deg * D2R;
    this.a = a;
    this.long0 = lon0Deg * D2R;
    this.x0 = x0;
    this.y0 = y0;
    // (proj4 stops here, leaving the projection unusable, when the parallels are opposite: |lat1 + lat2|
    // < EPSLN. No definition reproject knows is such a cone.)
    const temp = b / a;
    const e = Math.sqrt(1.0 - temp * temp); // lcc.js derives e from b/a itself, not from deriveConstants' es
    this.e = e;

    const sin1 = Math.sin(lat1);
    const cos1 = Math.cos(lat1);
    const ms1 = msfnz(e, sin1, cos1);
    const ts1 = tsfnz(e, lat1, sin1);

    const sin2 = Math.sin(lat2);
    const cos2 = Math.cos(lat2);
    const ms2 = msfnz(e, sin2, cos2);
    const ts2 = tsfnz(e, lat2, sin2);
    const ts0 = tsfnz(e, lat0, Math.sin(lat0));

    let ns = Math.abs(lat1 - lat2) > EPSLN ? Math.log(ms1 / ms2) / Math.log(ts1 / ts2) : sin1;
    if (isNaN(ns)) ns = sin1;
    this.ns = ns;
    this.f0 = ms1 / (ns * Math.pow(ts1, ns));
    // a false origin at a pole has radius 0
    this.rh = Math.abs(Math.abs(lat0) - HALF_PI) < EPSLN ? 0.0 : a * this.f0 * Math.pow(ts0, ns);
  }

  /** lon/lat radians → easting/northing metres, into outX/outY. */
  forward(lam: f64, phi: f64): void {
    // singular cases: a pole is moved 2·EPSLN off it, as proj4 does
    if (Math.abs(2.0 * Math.abs(phi) - Math.PI) <= EPSLN) phi = sign(phi) * (HALF_PI - 2.0 * EPSLN);
    let con = Math.abs(Math.abs(phi) - HALF_PI);
    let rh1: f64;
    if (con > EPSLN) {
      const ts = tsfnz(this.e, phi, Math.sin(phi));
      rh1 = this.a * this.f0 * Math.pow(ts, this.ns);
    } else {
      // (unreachable after the move above, kept as proj4 has it: it returns null, we NaN)
      con = phi * this.ns;
      if (con <= 0) {
        put(NaN, NaN);
        return;
      }
      rh1 = 0;
    }
    const theta = this.ns * adjustLon(lam - this.long0);
    put(this.k0 * (rh1 * Math.sin(theta)) + this.x0, this.k0 * (this.rh - rh1 * Math.cos(theta)) + this.y0);
  }

  /** easting/northing metres → lon/lat radians, into outX/outY; NaN where proj4 has no answer. */
  inverse(px: f64, py: f64): void {
    const x = (px - this.x0) / this.k0;
    const y = this.rh - (py - this.y0) / this.k0;
    let rh1: f64, con: f64;
    if (this.ns > 0) {
      rh1 = Math.sqrt(x * x + y * y);
      con = 1.0;
    } else {
      rh1 = -Math.sqrt(x * x + y * y);
      con = -1.0;
    }
    let theta: f64 = 0;
    if (rh1 != 0) theta = Math.atan2(con * x, con * y);
    let lat: f64;
    if (rh1 != 0 || this.ns > 0) {
      con = 1.0 / this.ns;
      const ts = Math.pow(rh1 / (this.a * this.f0), con);
      lat = phi2z(this.e, ts); // NaN where proj4's phi2z gives up (-9999) and lcc.js returns null
    } else {
      lat = -HALF_PI;
    }
    put(adjustLon(theta / this.ns + this.long0), lat);
  }
}
