// What every projection shares: proj4 2.22's constants (lib/constants/values.js) and helpers
// (lib/common/*.js), written with the same values and the same order of operations, so that with the
// same Math functions the results are the same doubles as proj4's.

export const D2R: f64 = 0.01745329251994329577;
export const R2D: f64 = 57.29577951308232088;
export const HALF_PI: f64 = 1.5707963267948966; // Math.PI / 2
export const FORTPI: f64 = 0.7853981633974483; // Math.PI / 4
export const TWO_PI: f64 = 6.283185307179586; // Math.PI * 2
/** a hair above π: longitudes that drift just past ±180° by rounding keep their sign (proj4's SPI) */
export const SPI: f64 = 3.14159265359;
export const EPSLN: f64 = 1.0e-10;

// The ellipsoids in play. proj4 derives b from the inverse flattening and es from a and b exactly so.
export const A_WGS84: f64 = 6378137.0;
export const RF_WGS84: f64 = 298.257223563;
export const A_GRS80: f64 = 6378137.0;
export const RF_GRS80: f64 = 298.257222101;

/** First eccentricity squared, as proj4's deriveConstants computes it from a and 1/f. */
export function eccentricitySquared(a: f64, rf: f64): f64 {
  const b = (1.0 - 1.0 / rf) * a;
  const a2 = a * a;
  const b2 = b * b;
  return (a2 - b2) / a2;
}

/**
 * The semi-minor axis of an ellipsoid given by a and 1/f, as proj4's deriveConstants.sphere computes it.
 * Every projection class takes (a, b), because that is what proj4 hands each projection's init (b is
 * derived from 1/f for WGS84 and GRS80, given as such for Clarke 1866): each class then derives e or e²
 * from a and b with the arithmetic of its proj4 counterpart, which is not the same in every file.
 */
export function minorAxis(a: f64, rf: f64): f64 {
  return (1.0 - 1.0 / rf) * a;
}

/** e² from a and b: deriveConstants.eccentricity's (a² − b²) / a² (eccentricitySquared with b given). */
export function eccentricitySquaredAB(a: f64, b: f64): f64 {
  const a2 = a * a;
  const b2 = b * b;
  return (a2 - b2) / a2;
}

// A projection step answers two numbers; they travel in these globals (one instance runs one call at a
// time, so they are never shared). Read them right after the call that set them.
export let outX: f64 = 0;
export let outY: f64 = 0;

// @ts-ignore: decorator
@inline export function put(x: f64, y: f64): void {
  outX = x;
  outY = y;
}

/** Wraps a longitude (radians) once into [-π, π]; proj4's adjust_lon. */
// @ts-ignore: decorator
@inline export function adjustLon(x: f64): f64 {
  return Math.abs(x) <= SPI ? x : x - (x < 0 ? -TWO_PI : TWO_PI);
}

/** proj4's hypot: max · sqrt(1 + (min/max)²). */
export function hypot(x: f64, y: f64): f64 {
  x = Math.abs(x);
  y = Math.abs(y);
  const a = Math.max(x, y);
  const b = Math.min(x, y) / (a != 0 && a == a ? a : 1.0);
  return a * Math.sqrt(1.0 + b * b);
}

/** log(1 + x), accurate for small x (proj4's log1py). */
export function log1py(x: f64): f64 {
  const y = 1.0 + x;
  const z = y - 1.0;
  return z == 0 ? x : x * Math.log(y) / z;
}

/** asinh(x) (proj4's asinhy). */
export function asinhy(x: f64): f64 {
  let y = Math.abs(x);
  y = log1py(y * (1.0 + y / (hypot(1.0, y) + 1.0)));
  return x < 0 ? -y : y;
}

/** proj4's sign: −1 for negatives, +1 otherwise (0 included). */
// @ts-ignore: decorator
@inline export function sign(x: f64): f64 {
  return x < 0 ? -1.0 : 1.0;
}

/** asin with its argument clamped to [−1, 1] (proj4's asinz). */
export function asinz(x: f64): f64 {
  if (Math.abs(x) > 1.0) x = x > 1.0 ? 1.0 : -1.0;
  return Math.asin(x);
}

/** m(φ) = cos φ / √(1 − e² sin² φ): the radius of the parallel over a (proj4's msfnz). */
export function msfnz(eccent: f64, sinphi: f64, cosphi: f64): f64 {
  const con = eccent * sinphi;
  return cosphi / Math.sqrt(1.0 - con * con);
}

/** t(φ) = tan(π/4 − φ/2) / ((1 − e sin φ)/(1 + e sin φ))^(e/2), the conformal function (proj4's tsfnz). */
export function tsfnz(eccent: f64, phi: f64, sinphi: f64): f64 {
  let con = eccent * sinphi;
  const com = 0.5 * eccent;
  con = Math.pow((1.0 - con) / (1.0 + con), com);
  return Math.tan(0.5 * (HALF_PI - phi)) / con;
}

/** proj4's phi2z loop runs i = 0 … 15 (16 steps) before it gives up ... */
const PHI2Z_LAST_STEP: i32 = 15;
/** ... and stops as soon as a step is at most this (radians) */
const PHI2Z_TOL: f64 = 0.0000000001;

/**
 * The latitude whose t(φ) (tsfnz) is ts: proj4's phi2z, the fixed-point iteration of Snyder (7-9), which
 * gains a factor of about e² (~1/150) per step. proj4 answers −9999 when 16 steps do not converge; here
 * that is NaN, which the callers pass on as "no answer". It does not happen for finite ts ≥ 0 (the only
 * inputs the projections give it).
 */
export function phi2z(eccent: f64, ts: f64): f64 {
  const eccnth = 0.5 * eccent;
  let phi = HALF_PI - 2.0 * Math.atan(ts);
  for (let i = 0; i <= PHI2Z_LAST_STEP; i++) {
    const con = eccent * Math.sin(phi);
    const dphi = HALF_PI - 2.0 * Math.atan(ts * Math.pow((1.0 - con) / (1.0 + con), eccnth)) - phi;
    phi += dphi;
    if (Math.abs(dphi) <= PHI2Z_TOL) return phi;
  }
  return NaN;
}

/** q(φ) for the authalic latitude (proj4's qsfnz). */
export function qsfnz(eccent: f64, sinphi: f64): f64 {
  if (eccent > 1.0e-7) {
    const con = eccent * sinphi;
    return (1.0 - eccent * eccent) * (sinphi / (1.0 - con * con) - (0.5 / eccent) * Math.log((1.0 - con) / (1.0 + con)));
  }
  return 2.0 * sinphi;
}
