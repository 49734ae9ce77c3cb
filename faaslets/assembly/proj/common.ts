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
