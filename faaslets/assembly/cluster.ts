// cluster: supercluster 9's hierarchical greedy clustering, producing what
// `new Supercluster(opts).load(points).getClusters(bbox, zoom)` returns, in the same order.
//
// Input: one POINTS region (EPSG:4326 lon/lat or EPSG:3857 metres), or a FEATURES region whose Point and
// MultiPoint features are the points, in feature order, weighted by their numeric `weight` property (else
// 1); other geometries are refused unless the `geometry` parameter says what they become
// (cluster/feature-points.ts).
// Output: one CLUSTERS region in the input's CRS; aux = zoom, extent = bbox (projected for EPSG:3857).
//
// Only levels maxZoom + 1 down to the requested zoom are built (supercluster builds all of them); each
// level reads only the one above.
import { alloc, enter, fail, inputCount, inputLen, inputPtr, output, param, paramCount } from "./lib/ctx";
import { byteLength, check, count, create, crs, data, kind, section, sectionCount, setAux, setExtent } from "./lib/region";
import {
  ABI_VERSION, CLUSTER_COUNT, CLUSTER_ID, CLUSTER_STRIDE, CLUSTER_WEIGHT, CLUSTER_X, CLUSTER_Y, COORD_STRIDE,
  FEATURE_STRIDE, HDR_BYTE_LENGTH, HEADER_SIZE, KIND_CLUSTERS, KIND_FEATURES, KIND_POINTS, POINT_ID,
  POINT_STRIDE, POINT_WEIGHT, POINT_X, POINT_Y, PROP_STRIDE, RING_STRIDE, SEC_STRINGS, STATUS_BAD_INPUT_KIND,
  STATUS_BAD_PARAM, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE, STATUS_UNSUPPORTED_CRS,
} from "../abi/layout";
import { KDTree, range } from "./cluster/kdbush";
import { GEOMETRY_CENTROID, GEOMETRY_REFUSE, GEOMETRY_SKIP, GEOMETRY_VERTICES, refusal, refusalStatus, refusedFeature, scanFeatures } from "./cluster/feature-points";
import { ENTRY, E_ID, E_NUM, E_WEIGHT, E_X, E_Y, E_ZOOM, Level, buildTree, clusterLevel } from "./cluster/levels";
import {
  SCALE, decode, encode, latY, lngX, metresX, metresY, toInt32, xLng, xMetres, yLat, yMetres,
} from "./cluster/mercator";

// parameter slots, in manifest order
const P_ZOOM = 0;
const P_RADIUS = 1;
const P_EXTENT = 2;
const P_MIN_ZOOM = 3;
const P_MAX_ZOOM = 4;
const P_MIN_POINTS = 5;
const P_NODE_SIZE = 6;
const P_BBOX = 7;
const P_GEOMETRY = 11;
const P_COUNT: u32 = 12;

/** 2^24 points keeps every weighted-centre sum exact in f64 and every cluster id inside Int32. */
const MAX_POINTS: u32 = 1 << 24;

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "cluster takes one input: a points or features region");
  const r = inputPtr(ctx, 0);
  const len = inputLen(ctx, 0);
  if (len < <usize>HEADER_SIZE) return fail(ctx, STATUS_MALFORMED_INPUT, "region shorter than its header");
  const k = kind(r);
  if (k != KIND_POINTS && k != KIND_FEATURES) {
    return fail(ctx, STATUS_BAD_INPUT_KIND, "cluster reads points or features, got region kind " + k.toString());
  }
  const why = k == KIND_POINTS
    ? check(r, len, KIND_POINTS, [POINT_STRIDE])
    : check(r, len, KIND_FEATURES, [FEATURE_STRIDE, RING_STRIDE, COORD_STRIDE, PROP_STRIDE, 1]);
  if (why.length > 0) return fail(ctx, STATUS_MALFORMED_INPUT, why);
  const epsg = crs(r);
  if (epsg != 4326 && epsg != 3857) {
    return fail(ctx, STATUS_UNSUPPORTED_CRS, "cluster needs EPSG:4326 or EPSG:3857, got EPSG:" + epsg.toString());
  }

  // options, normalised as supercluster's constructor and kdbush do. The host checked them against the
  // manifest, but packed slots can bypass that: nothing here relies on it
  if (paramCount(ctx) < P_COUNT) return fail(ctx, STATUS_BAD_PARAM, "cluster takes " + P_COUNT.toString() + " parameter slots");
  const zoom = param(ctx, P_ZOOM);
  const radius = param(ctx, P_RADIUS);
  const extent = param(ctx, P_EXTENT);
  const minPoints = param(ctx, P_MIN_POINTS);
  const nodeSizeParam = param(ctx, P_NODE_SIZE);
  if (!(param(ctx, P_MIN_ZOOM) >= 0) || !(param(ctx, P_MAX_ZOOM) >= 0) || !(minPoints >= 0 && minPoints < 2147483648.0) || !isFinite<f64>(nodeSizeParam)) {
    return fail(ctx, STATUS_BAD_PARAM, "minZoom, maxZoom, minPoints and nodeSize must be integers >= 0");
  }
  if (!(radius >= 0 && isFinite<f64>(radius))) return fail(ctx, STATUS_BAD_PARAM, "radius must be a finite number >= 0");
  if (!(extent > 0 && isFinite<f64>(extent))) return fail(ctx, STATUS_BAD_PARAM, "extent must be a finite number > 0");
  const maxZoom = <i32>min<f64>(param(ctx, P_MAX_ZOOM), 30);
  const minZoom = <i32>min<f64>(param(ctx, P_MIN_ZOOM), <f64>maxZoom);
  const nodeSize = <i32>min<f64>(max<f64>(nodeSizeParam, 2), 65535);
  // like supercluster's getClusters: zooms past maxZoom + 1 get the unclustered level (a map zooms on)
  if (!(zoom >= 0 && zoom == Math.floor(zoom))) {
    return fail(ctx, STATUS_BAD_PARAM, "zoom must be an integer >= 0");
  }
  const w = param(ctx, P_BBOX), s = param(ctx, P_BBOX + 1), e = param(ctx, P_BBOX + 2), n = param(ctx, P_BBOX + 3);
  if (!(isFinite<f64>(w) && isFinite<f64>(s) && isFinite<f64>(e) && isFinite<f64>(n) && s <= n)) {
    return fail(ctx, STATUS_BAD_PARAM, "bbox must be four finite numbers w,s,e,n with s <= n");
  }

  const geometry = param(ctx, P_GEOMETRY);
  if (!(geometry == GEOMETRY_REFUSE || geometry == GEOMETRY_VERTICES || geometry == GEOMETRY_CENTROID || geometry == GEOMETRY_SKIP)) {
    return fail(ctx, STATUS_BAD_PARAM, "geometry must be 0 (refuse), 1 (vertices), 2 (centroid) or 3 (skip)");
  }

  // input points → level maxZoom + 1
  const weightKey = k == KIND_FEATURES ? stringIndex(r, WEIGHT) : -1;
  const scanned = k == KIND_POINTS ? <i64>count(r) : scanFeatures(r, <i32>geometry, weightKey, 0, 0, 0, 0);
  if (scanned < 0) {
    return fail(ctx, refusalStatus, "feature " + refusedFeature.toString() + " " + refusal);
  }
  if (scanned > <i64>MAX_POINTS) return fail(ctx, STATUS_TOO_LARGE, scanned.toString() + " points, cluster takes at most " + MAX_POINTS.toString());
  const numPoints = <u32>scanned;
  if (numPoints > MAX_POINTS) return fail(ctx, STATUS_TOO_LARGE, numPoints.toString() + " points, cluster takes at most " + MAX_POINTS.toString());
  const np = <i32>numPoints;
  const size = <usize>max<i32>(np, 1);
  const px = alloc(size << 3, 8); // mercator [0, 1] of every input point: single points are output from these
  const py = alloc(size << 3, 8);
  const ids = alloc(size << 3, 8);
  const dataA = alloc(size * ENTRY, 16);
  const dataB = alloc(size * ENTRY, 16);
  const notProcessed = maxZoom + 1;
  const bad = k == KIND_POINTS
    ? readPoints(r, epsg, np, px, py, ids, dataA, notProcessed)
    : readFeaturePoints(r, <i32>geometry, weightKey, epsg, np, px, py, ids, dataA, notProcessed);
  if (bad >= 0) return fail(ctx, STATUS_MALFORMED_INPUT, "point " + bad.toString() + " has a non-finite coordinate");

  const tree = new KDTree(np, nodeSize);
  const lv = new Level(tree, alloc(size << 2, 8), <i32>minPoints, np, notProcessed);
  buildTree(tree, dataA, np);

  // supercluster's zoom loop, stopped at the level getClusters(bbox, zoom) reads (_limitZoom). Level z
  // only needs level z + 1 and its tree, so two entry buffers and one tree are reused.
  const target = max<i32>(minZoom, min<i32>(<i32>zoom, maxZoom + 1));
  let prev = dataA, spare = dataB, prevNum = np;
  for (let z = maxZoom; z >= target; z--) {
    const rz = radius / (extent * <f64>(1 << z)) * SCALE;
    const written = clusterLevel(lv, prev, prevNum, z, rz, spare);
    // nothing merged: supercluster keeps the level above (same entries, same tree) and recycles `out`
    if (written == prevNum) continue;
    const t = prev; prev = spare; spare = t;
    prevNum = written;
    buildTree(tree, prev, prevNum);
  }

  // getClusters: bbox → tree.range, result order kept
  const found = alloc((size << 3) + 8, 8);
  const nFound = query(tree, w, s, e, n, found, 0);

  const out = create(KIND_CLUSTERS, <u32>nFound, CLUSTER_STRIDE, epsg, [<u64>nFound * CLUSTER_STRIDE], [<u32>nFound]);
  const o = data(out);
  for (let i = 0; i < nFound; i++) {
    const en = prev + (<usize>load<u32>(found + (<usize>i << 2)) << 5);
    const rec = o + <usize>i * CLUSTER_STRIDE;
    const num = load<i32>(en, E_NUM);
    let nx: f64, ny: f64, id: f64;
    if (num > 1) {
      nx = decode(load<i32>(en, E_X));
      ny = decode(load<i32>(en, E_Y));
      id = <f64>load<i32>(en, E_ID);
    } else {
      const orig = <usize>load<i32>(en, E_ID) << 3;
      nx = load<f64>(px + orig);
      ny = load<f64>(py + orig);
      id = load<f64>(ids + orig);
    }
    store<f64>(rec + CLUSTER_X, epsg == 3857 ? xMetres(nx) : xLng(nx));
    store<f64>(rec + CLUSTER_Y, epsg == 3857 ? yMetres(ny) : yLat(ny));
    store<f64>(rec + CLUSTER_COUNT, <f64>num);
    store<f64>(rec + CLUSTER_WEIGHT, load<f64>(en, E_WEIGHT));
    store<f64>(rec + CLUSTER_ID, id);
  }
  setAux(out, <u32>zoom);
  if (epsg == 3857) setExtent(out, xMetres(lngX(w)), yMetres(latY(s)), xMetres(lngX(e)), yMetres(latY(n)));
  else setExtent(out, w, s, e, n);
  output(ctx, out, <usize>load<u32>(out + HDR_BYTE_LENGTH));
  return STATUS_OK;
}

/** supercluster's getClusters bbox handling: wrap longitudes, clamp latitudes, split at the antimeridian. */
function query(tree: KDTree, w: f64, s: f64, e: f64, nn: f64, out: usize, found: i32): i32 {
  let minLng = ((w + 180) % 360 + 360) % 360 - 180;
  const minLat = max<f64>(-90, min<f64>(90, s));
  let maxLng = e == 180 ? 180 : ((e + 180) % 360 + 360) % 360 - 180;
  const maxLat = max<f64>(-90, min<f64>(90, nn));
  if (e - w >= 360) {
    minLng = -180;
    maxLng = 180;
  } else if (minLng > maxLng) {
    found = query(tree, minLng, minLat, 180, maxLat, out, found);
    return query(tree, -180, minLat, maxLng, maxLat, out, found);
  }
  return range(tree, encode(lngX(minLng)), encode(latY(maxLat)), encode(lngX(maxLng)), encode(latY(minLat)), out, found);
}

// @ts-ignore: decorator
@inline function initEntry(en: usize, mx: f64, my: f64, weight: f64, index: i32, notProcessed: i32): void {
  store<i32>(en, toInt32(encode(mx)), E_X);
  store<i32>(en, toInt32(encode(my)), E_Y);
  store<i32>(en, notProcessed, E_ZOOM);
  store<i32>(en, 1, E_NUM);
  store<i32>(en, index, E_ID);
  store<f64>(en, weight, E_WEIGHT);
}

/** Fills the point arrays and level maxZoom + 1 from a POINTS region; returns the first bad point or -1. */
function readPoints(r: usize, epsg: i32, n: i32, px: usize, py: usize, ids: usize, entries: usize, notProcessed: i32): i32 {
  const src = data(r);
  for (let i = 0; i < n; i++) {
    const p = src + <usize>i * POINT_STRIDE;
    const x = load<f64>(p + POINT_X);
    const y = load<f64>(p + POINT_Y);
    if (!isFinite<f64>(x) || !isFinite<f64>(y)) return i;
    const mx = epsg == 3857 ? metresX(x) : lngX(x);
    const my = epsg == 3857 ? metresY(y) : latY(y);
    store<f64>(px + (<usize>i << 3), mx);
    store<f64>(py + (<usize>i << 3), my);
    store<f64>(ids + (<usize>i << 3), load<f64>(p + POINT_ID));
    initEntry(entries + (<usize>i << 5), mx, my, load<f64>(p + POINT_WEIGHT), i, notProcessed);
  }
  return -1;
}

/** The features' points (cluster/feature-points.ts) as level maxZoom + 1; the index of a non-finite one, else -1. */
function readFeaturePoints(r: usize, geometry: i32, weightKey: i64, epsg: i32, np: i32, px: usize, py: usize, ids: usize, entries: usize, notProcessed: i32): i32 {
  const size = <usize>max<i32>(np, 1) << 3;
  const xs = alloc(size, 8), ys = alloc(size, 8), ws = alloc(size, 8);
  scanFeatures(r, geometry, weightKey, xs, ys, ws, ids);
  for (let i = 0; i < np; i++) {
    const x = load<f64>(xs + (<usize>i << 3));
    const y = load<f64>(ys + (<usize>i << 3));
    if (!isFinite<f64>(x) || !isFinite<f64>(y)) return i;
    const mx = epsg == 3857 ? metresX(x) : lngX(x);
    const my = epsg == 3857 ? metresY(y) : latY(y);
    store<f64>(px + (<usize>i << 3), mx);
    store<f64>(py + (<usize>i << 3), my);
    initEntry(entries + (<usize>i << 5), mx, my, load<f64>(ws + (<usize>i << 3)), i, notProcessed);
  }
  return -1;
}

// "weight" in UTF-8 (read-only static data)
const WEIGHT = memory.data<u8>([0x77, 0x65, 0x69, 0x67, 0x68, 0x74]);
const WEIGHT_LENGTH: u32 = 6;

/**
 * Index of the string equal to the WEIGHT_LENGTH bytes at `text` in a features region's string table
 * (u32 offsets[count + 1], relative to the byte after them, then UTF-8), or -1 if absent or unreadable.
 */
function stringIndex(r: usize, text: usize): i64 {
  const n = sectionCount(r, SEC_STRINGS);
  const table = section(r, SEC_STRINGS);
  const end = r + <usize>byteLength(r);
  const bytes = table + (<usize>n + 1) * 4;
  if (<u64>bytes > <u64>end) return -1;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(table + (<usize>i << 2));
    const b = load<u32>(table + (<usize>i << 2) + 4);
    if (b < a || b - a != WEIGHT_LENGTH || <u64>bytes + <u64>b > <u64>end) continue;
    if (memory.compare(bytes + a, text, WEIGHT_LENGTH) == 0) return <i64>i;
  }
  return -1;
}
