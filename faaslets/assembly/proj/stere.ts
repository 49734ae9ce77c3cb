// Polar stereographic, variants A (EPSG method 9810: scale k0 at the pole) and B (9829: true scale on a
// standard parallel lat_ts): proj4 2.22's projections/stere.js, ellipsoidal polar aspect, ported term for
// term. (stere.js also has oblique, equatorial and spherical branches; no CRS reproject knows uses them,
// so they are not ported.) The definitions, all +datum=WGS84:
//
//   EPSG:3413  NSIDC Sea Ice Polar Stereographic North  +lat_0=90  +lat_ts=70  +lon_0=-45
//   EPSG:3995  Arctic Polar Stereographic               +lat_0=90  +lat_ts=71  +lon_0=0
//   EPSG:3031  Antarctic Polar Stereographic            +lat_0=-90 +lat_ts=-71 +lon_0=0
//   EPSG:3976  NSIDC Sea Ice Polar Stereographic South  +lat_0=-90 +lat_ts=-70 +lon_0=0
//   EPSG:3032  Australian Antarctic Polar Stereographic +lat_0=-90 +lat_ts=-71 +lon_0=70 +x_0=+y_0=6000000
//   EPSG:5041  UPS North (E,N)                          +lat_0=90  +k=0.994 +x_0=+y_0=2000000
//   EPSG:5042  UPS South (E,N)                          +lat_0=-90 +k=0.994 +x_0=+y_0=2000000
//
// A point's distance from the pole is ρ = 2·a·k0·t / √((1+e)^(1+e)·(1−e)^(1−e)), with t the conformal
// function of the latitude seen from the projection's pole (tsfnz of con·φ); variant B's k0 makes the
// scale 1 on lat_ts: k0 = m(lat_ts)·√(…) / (2·t(lat_ts)) (GN7-2, method 9829).
import { D2R, EPSLN, adjustLon, eccentricitySquaredAB, msfnz, phi2z, put, tsfnz } from "./common";

export class Stere {
  a: f64;
  e: f64;
  k0: f64;
  long0: f64;
  lat0: f64;
  x0: f64;
  y0: f64;
  /** +1 for the north polar aspect, −1 for the south (proj4's con) */
  con: f64;
  /** √((1+e)^(1+e)·(1−e)^(1−e)) */
  cons: f64;

  /**
   * The ellipsoid (a, b in metres), the pole (lat0Deg = 90 or −90), the longitude of origin, k0 (variant
   * A; ignored when a standard parallel is given, as proj4 ignores +k then), the standard parallel
   * latTsDeg (variant B; NaN for variant A), all angles in degrees, and the false easting and northing.
   */
  constructor(a: f64, b: f64, lat0Deg: f64, lon0Deg: f64, k0: f64, latTsDeg: f64, x0: f64, y0: f64) {
    this.a = a;
    const e = Math.sqrt(eccentricitySquaredAB(a, b)); // deriveConstants' e = √es
    this.e = e;
    this.lat0 = lat0Deg * D2R;
    this.long0 = lon0Deg * D2R;
    this.x0 = x0;
    this.y0 = y0;
    // stere.js takes the polar branch when |cos lat0| ≤ EPSLN: the caller passes ±90° only
    this.con = this.lat0 > 0 ? 1.0 : -1.0;
    this.cons = Math.sqrt(Math.pow(1.0 + e, 1.0 + e) * Math.pow(1.0 - e, 1.0 - e));
    const latTs = latTsDeg * D2R;
    if (!isNaN(latTs) && Math.abs(Math.cos(latTs)) > EPSLN) {
      // variant B: the scale factor at the pole that makes lat_ts true to scale
      k0 = 0.5 * this.cons * msfnz(e, Math.sin(latTs), Math.cos(latTs)) / tsfnz(e, this.con * latTs, this.con * Math.sin(latTs));
    }
    this.k0 = k0;
  }

  /** lon/lat radians → easting/northing metres, into outX/outY; NaN at the opposite pole, like proj4. */
  forward(lam: f64, phi: f64): void {
    // proj4's "origin point" case: the pole the projection cannot show
    if (Math.abs(Math.abs(lam - this.long0) - Math.PI) <= EPSLN && Math.abs(phi + this.lat0) <= EPSLN) {
      put(NaN, NaN);
      return;
    }
    const ts = tsfnz(this.e, phi * this.con, this.con * Math.sin(phi));
    const rh = 2.0 * this.a * this.k0 * ts / this.cons;
    // (stere.js uses lon − long0 here unwrapped: sin and cos do not mind)
    put(this.x0 + rh * Math.sin(lam - this.long0), this.y0 - this.con * rh * Math.cos(lam - this.long0));
  }

  /** easting/northing metres → lon/lat radians, into outX/outY. */
  inverse(px: f64, py: f64): void {
    let x = px - this.x0;
    let y = py - this.y0;
    const rh = Math.sqrt(x * x + y * y);
    if (rh <= EPSLN) {
      put(this.long0, this.lat0);
      return;
    }
    x *= this.con;
    y *= this.con;
    const ts = rh * this.cons / (2.0 * this.a * this.k0);
    // phi2z answers NaN where proj4's gives up with −9999 (which stere.js would pass on as a latitude)
    const lat = this.con * phi2z(this.e, ts);
    const lon = this.con * adjustLon(this.con * this.long0 + Math.atan2(x, -1.0 * y));
    put(lon, lat);
  }
}
