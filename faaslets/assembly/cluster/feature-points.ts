// The points a FEATURES region stands for, for cluster. A Point is its position and a MultiPoint each of
// its positions; any other feature (line, polygon, collection, null geometry) follows the `geometry`
// parameter: refused (GEOMETRY_REFUSE, the default — nothing is dropped without being asked), each vertex
// (GEOMETRY_VERTICES), the mean of its vertices (GEOMETRY_CENTROID, turf.centroid), or left out because
// the chain asked (GEOMETRY_SKIP: it carries them on another path, as states-census does). Vertices are
// every position once: a polygon ring's closing position, which repeats its first, is left out (turf's
// coordEach with excludeWrapCoord). A point's weight is its feature's numeric `weight` property, else 1.
import {
  COORD_STRIDE, FEATURE_GEOM_TYPE, FEATURE_ID, FEATURE_ID_TYPE, FEATURE_PROP_COUNT, FEATURE_PROP_START,
  FEATURE_RING_COUNT, FEATURE_RING_START, FEATURE_STRIDE, GEOM_COLLECTION, GEOM_MULTIPOINT, GEOM_MULTIPOLYGON,
  GEOM_POINT, GEOM_POLYGON, MEMBER_EMPTY, PROP_KEY, PROP_NUMBER, PROP_STRIDE, PROP_TYPE, PROP_VALUE,
  RING_COORD_COUNT, RING_COORD_START, RING_MEMBER, RING_STRIDE, SEC_COORDS, SEC_PROPS, SEC_RINGS,
  STATUS_BAD_INPUT_KIND, STATUS_MALFORMED_INPUT,
} from "../../abi/layout";
import { count, data, section, sectionCount } from "../lib/region";

export const GEOMETRY_REFUSE = 0;
export const GEOMETRY_VERTICES = 1;
export const GEOMETRY_CENTROID = 2;
export const GEOMETRY_SKIP = 3;

/** Set by scanFeatures when it stops: the feature that could not be read, why, and the status that says so. */
export let refusedFeature: u32 = 0;
export let refusal: string = "";
export let refusalStatus: i32 = 0;

/**
 * Walks the features' points. With `xs` = 0 it only counts them; otherwise it writes x, y, weight and id
 * (the feature id when it is a number, else NaN) of each into the f64 arrays. Returns the number of points,
 * or -1 with refusedFeature/refusal set.
 */
export function scanFeatures(r: usize, geometry: i32, weightKey: i64, xs: usize, ys: usize, ws: usize, ids: usize): i64 {
  const nf = count(r);
  const table = data(r);
  const nRings = sectionCount(r, SEC_RINGS), nCoords = sectionCount(r, SEC_COORDS), nProps = sectionCount(r, SEC_PROPS);
  const rings = section(r, SEC_RINGS), coords = section(r, SEC_COORDS), props = section(r, SEC_PROPS);
  let n: i64 = 0;
  for (let fi: u32 = 0; fi < nf; fi++) {
    const f = table + <usize>fi * FEATURE_STRIDE;
    const type = load<u32>(f + FEATURE_GEOM_TYPE);
    const ringStart = load<u32>(f + FEATURE_RING_START), ringCount = load<u32>(f + FEATURE_RING_COUNT);
    const propStart = load<u32>(f + FEATURE_PROP_START), propCount = load<u32>(f + FEATURE_PROP_COUNT);
    if (<u64>ringStart + <u64>ringCount > <u64>nRings || <u64>propStart + <u64>propCount > <u64>nProps) {
      return refuse(fi, STATUS_MALFORMED_INPUT, "its rings or properties lie outside their sections");
    }
    const asPoints = type == GEOM_POINT || type == GEOM_MULTIPOINT;
    if (!asPoints && geometry == GEOMETRY_REFUSE) {
      return refuse(fi, STATUS_BAD_INPUT_KIND, "is not a Point or MultiPoint: say what it becomes with geometry=vertices or geometry=centroid");
    }
    if (!asPoints && geometry == GEOMETRY_SKIP) continue;
    let weight = 1.0;
    if (xs != 0 && weightKey >= 0) {
      for (let k: u32 = 0; k < propCount; k++) {
        const pr = props + <usize>(propStart + k) * PROP_STRIDE;
        if (load<u32>(pr + PROP_KEY) == <u32>weightKey && load<u32>(pr + PROP_TYPE) == PROP_NUMBER) {
          weight = load<f64>(pr + PROP_VALUE);
          break;
        }
      }
    }
    const id = load<u32>(f + FEATURE_ID_TYPE) == PROP_NUMBER ? load<f64>(f + FEATURE_ID) : NaN;
    const centroid = !asPoints && geometry == GEOMETRY_CENTROID;
    let sx = 0.0, sy = 0.0, nv: i64 = 0;
    for (let q: u32 = 0; q < ringCount; q++) {
      const ring = rings + <usize>(ringStart + q) * RING_STRIDE;
      const c0 = load<u32>(ring + RING_COORD_START), nc = load<u32>(ring + RING_COORD_COUNT);
      if (<u64>c0 + <u64>nc > <u64>nCoords) return refuse(fi, STATUS_MALFORMED_INPUT, "its coordinates lie outside their section");
      const member = load<u32>(ring + RING_MEMBER) % MEMBER_EMPTY;
      const ringType = type == GEOM_COLLECTION ? member : type;
      const closed = ringType == GEOM_POLYGON || ringType == GEOM_MULTIPOLYGON;
      const m = closed && nc > 1 ? nc - 1 : nc;
      for (let c: u32 = 0; c < m; c++) {
        const xy = coords + <usize>(c0 + c) * COORD_STRIDE;
        const x = load<f64>(xy), y = load<f64>(xy, 8);
        if (centroid) {
          sx += x;
          sy += y;
          nv++;
        } else {
          if (xs != 0) put(xs, ys, ws, ids, n, x, y, weight, id);
          n++;
        }
      }
    }
    if (centroid && nv > 0) {
      if (xs != 0) put(xs, ys, ws, ids, n, sx / <f64>nv, sy / <f64>nv, weight, id);
      n++;
    }
  }
  return n;
}

// @ts-ignore: decorator
@inline function put(xs: usize, ys: usize, ws: usize, ids: usize, i: i64, x: f64, y: f64, w: f64, id: f64): void {
  const at = <usize>i << 3;
  store<f64>(xs + at, x);
  store<f64>(ys + at, y);
  store<f64>(ws + at, w);
  store<f64>(ids + at, id);
}

function refuse(feature: u32, status: i32, why: string): i64 {
  refusedFeature = feature;
  refusalStatus = status;
  refusal = why;
  return -1;
}
