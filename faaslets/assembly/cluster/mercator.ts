// supercluster's coordinate arithmetic, operation for operation: lon/lat ↔ mercator in [0, 1] and the
// Int32 encoding (c − 0.5)·2^30 its index stores. EPSG:3857 metres map to the same [0, 1] square.
import { exp, log, sin } from "./fdlibm";

export const SCALE: f64 = 1073741824.0; // 2^30
const INV_SCALE: f64 = 1.0 / 1073741824.0;
/** Earth's circumference in EPSG:3857 metres (2πR, R = 6378137). */
const CIRCUMFERENCE: f64 = 2.0 * Math.PI * 6378137.0;

// @ts-ignore: decorator
@inline export function encode(c: f64): f64 { return (c - 0.5) * SCALE; }
// @ts-ignore: decorator
@inline export function decode(v: i32): f64 { return <f64>v * INV_SCALE + 0.5; }

/** JS ToInt32, what storing a number into an Int32Array does (truncate, wrap modulo 2^32, NaN → 0). */
export function toInt32(v: f64): i32 {
  if (!isFinite<f64>(v)) return 0;
  const t = trunc<f64>(v);
  if (t >= -2147483648.0 && t <= 2147483647.0) return <i32>t;
  let m = t % 4294967296.0;
  if (m < 0) m += 4294967296.0;
  return <i32><i64>m;
}

export function lngX(lng: f64): f64 { return lng / 360 + 0.5; }

export function latY(lat: f64): f64 {
  const s = sin(lat * Math.PI / 180);
  const y = 0.5 - 0.25 * log((1 + s) / (1 - s)) / Math.PI;
  return y < 0 ? 0 : y > 1 ? 1 : y;
}

export function xLng(x: f64): f64 { return (x - 0.5) * 360; }

export function yLat(y: f64): f64 {
  const y2 = (180 - y * 360) * Math.PI / 180;
  return 360 * Math.atan(exp(y2)) / Math.PI - 90;
}

/** EPSG:3857 x (metres) → mercator [0, 1] (not clamped, like lngX). */
export function metresX(x: f64): f64 { return x / CIRCUMFERENCE + 0.5; }

/** EPSG:3857 y (metres) → mercator [0, 1], clamped like latY. */
export function metresY(y: f64): f64 {
  const v = 0.5 - y / CIRCUMFERENCE;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

export function xMetres(x: f64): f64 { return (x - 0.5) * CIRCUMFERENCE; }
export function yMetres(y: f64): f64 { return (0.5 - y) * CIRCUMFERENCE; }
