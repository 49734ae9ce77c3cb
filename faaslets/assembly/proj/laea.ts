// EPSG:3035, ETRS89 / LAEA Europe: +proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80.
// proj4 2.22's projections/laea.js, ellipsoidal oblique aspect (the only one 3035 needs), ported term for
// term. Its inverse maps the authalic latitude back with proj4's 3-term series (authset/authlat), which
// leaves up to ~1.7e-8° (≈2 mm) across Europe; we keep it, so results agree with proj4 (the oracle), and a
// 4326 → 3035 → 4326 round trip drifts by exactly as much as proj4's own.
import { A_GRS80, D2R, EPSLN, RF_GRS80, adjustLon, eccentricitySquared, put, qsfnz } from "./common";

// proj4's authset constants
const P00: f64 = 0.33333333333333333333;
const P01: f64 = 0.17222222222222222222;
const P02: f64 = 0.10257936507936507936;
const P10: f64 = 0.06388888888888888888;
const P11: f64 = 0.06640211640211640211;
const P20: f64 = 0.01641501294219154443;

export class Laea {
  a: f64 = A_GRS80;
  long0: f64 = 10.0 * D2R;
  lat0: f64 = 52.0 * D2R;
  x0: f64 = 4321000.0;
  y0: f64 = 3210000.0;
  es: f64 = 0;
  e: f64 = 0;
  qp: f64 = 0;
  rq: f64 = 0;
  sinb1: f64 = 0;
  cosb1: f64 = 0;
  dd: f64 = 0;
  xmf: f64 = 0;
  ymf: f64 = 0;
  apa0: f64 = 0;
  apa1: f64 = 0;
  apa2: f64 = 0;

  constructor() {
    const es = eccentricitySquared(A_GRS80, RF_GRS80);
    this.es = es;
    this.e = Math.sqrt(es);
    this.qp = qsfnz(this.e, 1.0);
    // authset(es)
    let t = es * es;
    this.apa0 = es * P00;
    this.apa0 += t * P01;
    this.apa1 = t * P10;
    t *= es;
    this.apa0 += t * P02;
    this.apa1 += t * P11;
    this.apa2 = t * P20;
    // oblique aspect
    this.rq = Math.sqrt(0.5 * this.qp);
    const sinphi = Math.sin(this.lat0);
    this.sinb1 = qsfnz(this.e, sinphi) / this.qp;
    this.cosb1 = Math.sqrt(1.0 - this.sinb1 * this.sinb1);
    this.dd = Math.cos(this.lat0) / (Math.sqrt(1.0 - es * sinphi * sinphi) * this.rq * this.cosb1);
    this.xmf = this.rq;
    this.ymf = this.rq / this.dd;
    this.xmf *= this.dd;
  }

  /** lon/lat radians → easting/northing metres, into outX/outY; NaN where proj4 gives up (the antipode). */
  forward(lam: f64, phi: f64): void {
    lam = adjustLon(lam - this.long0);
    const coslam = Math.cos(lam);
    const sinlam = Math.sin(lam);
    const sinphi = Math.sin(phi);
    const q = qsfnz(this.e, sinphi);
    const sinb = q / this.qp;
    const cosb = Math.sqrt(1.0 - sinb * sinb);
    let b = 1.0 + this.sinb1 * sinb + this.cosb1 * cosb * coslam;
    if (Math.abs(b) < EPSLN) {
      put(NaN, NaN);
      return;
    }
    b = Math.sqrt(2.0 / b);
    const y = this.ymf * b * (this.cosb1 * sinb - this.sinb1 * cosb * coslam);
    const x = this.xmf * b * cosb * sinlam;
    put(this.a * x + this.x0, this.a * y + this.y0);
  }

  /** easting/northing metres → lon/lat radians, into outX/outY. */
  inverse(px: f64, py: f64): void {
    let x = (px - this.x0) / this.a;
    let y = (py - this.y0) / this.a;
    x /= this.dd;
    y *= this.dd;
    const rho = Math.sqrt(x * x + y * y);
    if (rho < EPSLN) {
      put(this.long0, this.lat0);
      return;
    }
    let sCe = 2.0 * Math.asin(0.5 * rho / this.rq);
    const cCe = Math.cos(sCe);
    sCe = Math.sin(sCe);
    x *= sCe;
    const ab = cCe * this.sinb1 + y * sCe * this.cosb1 / rho;
    y = rho * this.cosb1 * cCe - y * this.sinb1 * sCe;
    const lam = Math.atan2(x, y);
    // authlat(asin(ab))
    const beta = Math.asin(ab);
    const t = beta + beta;
    const phi = beta + this.apa0 * Math.sin(t) + this.apa1 * Math.sin(t + t) + this.apa2 * Math.sin(t + t + t);
    put(adjustLon(this.long0 + lam), phi);
  }
}
