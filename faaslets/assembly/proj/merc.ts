// EPSG:3857, spherical ("Web") Mercator: proj4 2.22's projections/merc.js on its sphere branch
// (+a=6378137 +b=6378137 +k=1, x0 = y0 = long0 = 0). No latitude clamping, like proj4: 89° maps to
// y ≈ 3.0e7 m; within 1e-10 rad of a pole proj4 refuses the point, and so do we (NaN, NaN).
import { EPSLN, FORTPI, HALF_PI, adjustLon, put } from "./common";

const A: f64 = 6378137.0;
const K0: f64 = 1.0;
const X0: f64 = 0.0;
const Y0: f64 = 0.0;
const LONG0: f64 = 0.0;

/** lon/lat radians → x/y metres, into outX/outY. */
export function mercForward(lam: f64, phi: f64): void {
  if (Math.abs(Math.abs(phi) - HALF_PI) <= EPSLN) {
    put(NaN, NaN);
    return;
  }
  put(X0 + A * K0 * adjustLon(lam - LONG0), Y0 + A * K0 * Math.log(Math.tan(FORTPI + 0.5 * phi)));
}

/** x/y metres → lon/lat radians, into outX/outY. */
export function mercInverse(x: f64, y: f64): void {
  x = x - X0;
  y = y - Y0;
  const phi = HALF_PI - 2.0 * Math.atan(Math.exp(-y / (A * K0)));
  put(adjustLon(LONG0 + x / (A * K0)), phi);
}
