// Pass 2 of mvt-decode: writes every feature straight into the FEATURES region, projecting tile
// coordinates to lon/lat with @mapbox/vector-tile's toGeoJSON formula. It parses no field twice: names,
// keys and values come from pass 1's records (mvt/scan.ts), and so do each feature's id, type and the
// places of its tags and geometry, which pass 1 has validated. It never writes past a section: each write
// is checked against the count pass 1 found, and a mismatch is reported as an internal error. Layers
// pass 1 dropped are skipped; features it read leniently are written by mvt/write-lenient.ts.
import {
  COORD_STRIDE, FEATURE_GEOM_TYPE, FEATURE_ID, FEATURE_LAYER, FEATURE_PROP_COUNT, FEATURE_PROP_START,
  FEATURE_ID_TYPE, FEATURE_RING_COUNT, FEATURE_RING_START, FEATURE_STRIDE, GEOM_LINESTRING, GEOM_MULTILINESTRING,
  GEOM_MULTIPOINT, GEOM_MULTIPOLYGON, GEOM_POINT, GEOM_POLYGON, PROP_KEY,
  PROP_NUMBER, PROP_STRIDE, PROP_STRING, PROP_TYPE, PROP_VALUE, RING_COORD_COUNT, RING_COORD_START, RING_MEMBER,
  RING_PART, RING_STRIDE,
} from "../../abi/layout";
import { alloc } from "../lib/ctx";
import * as R from "./reader";
import * as S from "./scan";
import { RING_NEW_POLYGON } from "./scan";
import * as WL from "./write-lenient";

// output sections and how far each is written
let features: usize = 0;
let rings: usize = 0;
let coords: usize = 0;
let props: usize = 0;
let stringOffsets: usize = 0;
let stringBytes: usize = 0;
let nFeatures: u32 = 0, capFeatures: u32 = 0;
let nRings: u32 = 0, capRings: u32 = 0;
export let nCoords: u32 = 0;
let capCoords: u32 = 0;
export let nProps: u32 = 0;
let capProps: u32 = 0;
let nStrings: u32 = 0, capStrings: u32 = 0;
let nStringBytes: u32 = 0, capStringBytes: u32 = 0;
/** set when a write would pass a section's end: pass 1 and pass 2 disagree (a bug, never bad input) */
export let overflow: bool = false;

// bounding box of every coordinate written (set in setOutput: a -Infinity initialiser would need a start function)
export let minX: f64 = 0;
export let minY: f64 = 0;
export let maxX: f64 = 0;
export let maxY: f64 = 0;

// the next of the ring classifications left by the scan
let ringFlagAt: usize = 0;

// per-layer lookup tables: key index -> string index; value index -> (type, number or string index)
let keyString: usize = 0;
let valueType: usize = 0;
let valueNumber: usize = 0;
let layerName: u32 = 0;
/** key and value records of the current layer (lenient tags check their indices) */
export let layerKeys: u32 = 0;
export let layerValues: u32 = 0;

// toGeoJSON's projection for the current layer: size = extent * 2^z, (x0, y0) = extent * (x, y)
let size: f64 = 0;
let x0: f64 = 0;
let y0: f64 = 0;
let lonScale: f64 = 0;
let latScale: f64 = 0;
let tileZ: f64 = 0;
let tileX: f64 = 0;
let tileY: f64 = 0;

export function setOutput(
  featuresAt: usize, ringsAt: usize, coordsAt: usize, propsAt: usize, stringsAt: usize,
  featureCount: u32, ringCount: u32, coordCount: u32, propCount: u32, stringCount: u32, stringByteCount: u32,
): void {
  features = featuresAt; rings = ringsAt; coords = coordsAt; props = propsAt;
  stringOffsets = stringsAt;
  stringBytes = stringsAt + ((<usize>stringCount + 1) << 2);
  capFeatures = featureCount; capRings = ringCount; capCoords = coordCount; capProps = propCount;
  capStrings = stringCount; capStringBytes = stringByteCount;
  nFeatures = 0; nRings = 0; nCoords = 0; nProps = 0; nStrings = 0; nStringBytes = 0;
  overflow = false;
  minX = Infinity; minY = Infinity; maxX = -Infinity; maxY = -Infinity;
  store<u32>(stringOffsets, 0);
}

/** True when every section was filled exactly as pass 1 counted. */
export function complete(): bool {
  return !overflow && nFeatures == capFeatures && nRings == capRings && nCoords == capCoords &&
    nProps == capProps && nStrings == capStrings && nStringBytes == capStringBytes;
}

export function writeTile(z: u32, x: u32, y: u32): void {
  tileZ = <f64>z; tileX = <f64>x; tileY = <f64>y;
  WL.reset();
  ringFlagAt = 0;
  keyString = alloc(<usize>S.maxKeys << 2, 8);
  valueType = alloc(<usize>S.maxValues, 8);
  valueNumber = alloc(<usize>S.maxValues << 3, 8);
  let key = S.keys, value = S.values, feature = S.features;
  for (let i: u32 = 0; i < S.nLayers && !overflow; i++) {
    const info = S.layers + <usize>i * S.LAYER_BYTES;
    const nKeys = load<u32>(info + S.LAYER_KEYS), nValues = load<u32>(info + S.LAYER_VALUES);
    if (load<u32>(info + S.LAYER_DROPPED) != 0) {
      // replaced by a later layer of its name: step over its records
      key += <usize>nKeys * S.KEY_BYTES;
      value += <usize>nValues * S.VALUE_BYTES;
      feature += <usize>load<u32>(info + S.LAYER_FEATURES) * S.FEATURE_BYTES;
      ringFlagAt += <usize>load<u32>(info + S.LAYER_RING_FLAGS);
      continue;
    }
    layerKeys = nKeys;
    layerValues = nValues;
    // strings of the layer: its name, its keys, its string values
    layerName = addString(<usize>load<u32>(info + S.LAYER_NAME_AT), <usize>load<u32>(info + S.LAYER_NAME_LEN));
    for (let k: u32 = 0; k < nKeys; k++, key += S.KEY_BYTES) {
      store<u32>(keyString + (<usize>k << 2), addString(<usize>load<u32>(key), <usize>load<u32>(key + 4)));
    }
    for (let v: u32 = 0; v < nValues; v++, value += S.VALUE_BYTES) {
      const type = load<u32>(value + S.VALUE_TYPE);
      store<u8>(valueType + <usize>v, <u8>type);
      const n = type == PROP_STRING
        ? <f64>addString(<usize>load<u32>(value + S.VALUE_NUMBER), <usize>load<u32>(value + S.VALUE_NUMBER + 4))
        : load<f64>(value + S.VALUE_NUMBER);
      store<f64>(valueNumber + (<usize>v << 3), n);
    }
    // toGeoJSON computes (p + x0) * 360 / size; with a power-of-two extent (4096, as good as always) a
    // multiplication by 360 / size gives the same bits, otherwise it is within an ulp
    const extent = load<u32>(info + S.LAYER_EXTENT);
    size = <f64>extent * Math.pow(2, tileZ);
    x0 = <f64>extent * tileX;
    y0 = <f64>extent * tileY;
    lonScale = 360 / size;
    latScale = 2 / size;
    const n = load<u32>(info + S.LAYER_FEATURES);
    for (let k: u32 = 0; k < n && !overflow; k++, feature += S.FEATURE_BYTES) writeFeature(feature);
  }
}

function addString(p: usize, n: usize): u32 {
  if (nStrings >= capStrings || <u64>nStringBytes + <u64>n > <u64>capStringBytes) {
    overflow = true;
    return 0;
  }
  copyBytes(stringBytes + nStringBytes, p, n);
  nStringBytes += <u32>n;
  store<u32>(stringOffsets + ((<usize>nStrings + 1) << 2), nStringBytes);
  return nStrings++;
}

function writeFeature(record: usize): void {
  if (nFeatures >= capFeatures) {
    overflow = true;
    return;
  }
  const type = load<u32>(record + S.FEATURE_TYPE);
  const flags = load<u32>(record + S.FEATURE_FLAGS);
  const geomStart = <usize>load<u32>(record + S.FEATURE_GEOM_AT), geomEnd = <usize>load<u32>(record + S.FEATURE_GEOM_END);
  const propStart = nProps;
  const tagsAt = <usize>load<u32>(record + S.FEATURE_TAGS_AT), tagsEnd = <usize>load<u32>(record + S.FEATURE_TAGS_END);
  if (flags & S.FEATURE_LENIENT_TAGS) WL.writeProps(tagsAt, tagsEnd);
  else writeProps(tagsAt, tagsEnd);
  const ringStart = nRings;
  let geomType: u32;
  if (flags & S.FEATURE_LENIENT_GEOMETRY) geomType = WL.writeGeometry(type, geomStart, geomEnd);
  else if (type == 1) geomType = writePoints(geomStart, geomEnd);
  else if (type == 2) geomType = writeLines(geomStart, geomEnd);
  else geomType = writePolygons(geomStart, geomEnd);
  const f = features + <usize>nFeatures * FEATURE_STRIDE;
  const id = load<f64>(record + S.FEATURE_ID);
  store<f64>(f + FEATURE_ID, id);
  store<u32>(f + FEATURE_ID_TYPE, isNaN(id) ? 0 : PROP_NUMBER);
  store<u32>(f + FEATURE_ID_TYPE + 4, 0); // reserved
  store<u32>(f + FEATURE_GEOM_TYPE, geomType);
  store<u32>(f + FEATURE_LAYER, layerName);
  store<u32>(f + FEATURE_RING_START, ringStart);
  store<u32>(f + FEATURE_RING_COUNT, nRings - ringStart);
  store<u32>(f + FEATURE_PROP_START, propStart);
  store<u32>(f + FEATURE_PROP_COUNT, nProps - propStart);
  nFeatures++;
}

function writeProps(s: usize, e: usize): void {
  let p = s;
  while (p < e) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32);
    const k = <usize><u32>r;
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    const v = <usize><u32>r;
    addProp(k, v);
  }
}

/** Appends property (key index k, value index v) of the current layer. */
// @ts-ignore: decorator
@inline export function addProp(k: usize, v: usize): void {
  if (nProps >= capProps) {
    overflow = true;
    return;
  }
  const at = props + <usize>nProps * PROP_STRIDE;
  store<u32>(at + PROP_KEY, load<u32>(keyString + (k << 2)));
  setProp(nProps, v);
  nProps++;
}

/** Gives property i (already written) the value of value index v. */
// @ts-ignore: decorator
@inline export function setProp(i: u32, v: usize): void {
  const at = props + <usize>i * PROP_STRIDE;
  store<u32>(at + PROP_TYPE, <u32>load<u8>(valueType + v));
  store<f64>(at + PROP_VALUE, load<f64>(valueNumber + (v << 3)));
}

/** classifyRings's decision for the next polygon ring (pass 1 left one per ring, in tile order). */
export function nextRingFlag(): u8 {
  return load<u8>(S.ringFlags + ringFlagAt++);
}

// @ts-ignore: decorator
@inline export function addRing(start: u32, count: u32, part: u32): void {
  if (nRings >= capRings) {
    overflow = true;
    return;
  }
  const r = rings + <usize>nRings * RING_STRIDE;
  store<u32>(r + RING_COORD_START, start);
  store<u32>(r + RING_COORD_COUNT, count);
  store<u32>(r + RING_PART, part);
  store<u32>(r + RING_MEMBER, 0);
  nRings++;
}

/** Projects tile coordinates to lon/lat (toGeoJSON's formula) and appends them. */
// @ts-ignore: decorator
@inline export function addCoord(px: i64, py: i64): void {
  if (nCoords >= capCoords) {
    overflow = true;
    return;
  }
  const lon = (<f64>px + x0) * lonScale - 180;
  const lat = 360 / Math.PI * Math.atan(Math.exp((1 - (<f64>py + y0) * latScale) * Math.PI)) - 90;
  const c = coords + <usize>nCoords * COORD_STRIDE;
  store<f64>(c, lon);
  store<f64>(c + 8, lat);
  nCoords++;
  if (lon < minX) minX = lon;
  if (lon > maxX) maxX = lon;
  if (lat < minY) minY = lat;
  if (lat > maxY) maxY = lat;
}

// The geometry writers keep their cursor in a local p (R.u32At): the tile was validated by the scan.

function writePoints(s: usize, e: usize): u32 {
  let p = s;
  let r = R.u32At(p, e); p += <usize>(r >>> 32);
  const count = <u32>r >> 3;
  const start = nCoords;
  let x: i64 = 0, y: i64 = 0;
  for (let i: u32 = 0; i < count && !overflow; i++) {
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    x += R.zigzag32(<u32>r);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    y += R.zigzag32(<u32>r);
    addCoord(x, y);
  }
  addRing(start, nCoords - start, 0);
  return count == 1 ? GEOM_POINT : GEOM_MULTIPOINT;
}

function writeLines(s: usize, e: usize): u32 {
  let p = s;
  let x: i64 = 0, y: i64 = 0;
  let lines: u32 = 0;
  while (p < e && !overflow) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32); // MoveTo, count 1
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    x += R.zigzag32(<u32>r);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    y += R.zigzag32(<u32>r);
    const start = nCoords;
    addCoord(x, y);
    r = R.u32At(p, e); p += <usize>(r >>> 32); // LineTo
    const count = <u32>r >> 3;
    for (let i: u32 = 0; i < count && !overflow; i++) {
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      x += R.zigzag32(<u32>r);
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      y += R.zigzag32(<u32>r);
      addCoord(x, y);
    }
    addRing(start, nCoords - start, lines++);
  }
  return lines == 1 ? GEOM_LINESTRING : GEOM_MULTILINESTRING;
}

function writePolygons(s: usize, e: usize): u32 {
  let p = s;
  let x: i64 = 0, y: i64 = 0;
  let polygons: u32 = 0;
  while (p < e && !overflow) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32); // MoveTo, count 1
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    x += R.zigzag32(<u32>r);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    y += R.zigzag32(<u32>r);
    const fx = x, fy = y;
    r = R.u32At(p, e); p += <usize>(r >>> 32); // LineTo
    const count = <u32>r >> 3;
    const flag = load<u8>(S.ringFlags + ringFlagAt++);
    const keep = flag != 0;
    if (flag & RING_NEW_POLYGON) polygons++;
    const start = nCoords;
    if (keep) addCoord(x, y);
    for (let i: u32 = 0; i < count && !overflow; i++) {
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      x += R.zigzag32(<u32>r);
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      y += R.zigzag32(<u32>r);
      if (keep) addCoord(x, y);
    }
    r = R.u32At(p, e); p += <usize>(r >>> 32); // ClosePath
    if (!keep) continue; // a zero-area ring among several: classifyRings drops it
    addCoord(fx, fy); // toGeoJSON repeats the first point
    addRing(start, nCoords - start, polygons - 1);
  }
  return polygons == 1 ? GEOM_POLYGON : GEOM_MULTIPOLYGON;
}

/** memory.copy is a runtime call in V8: for the short strings of a tile a plain loop is several times faster. */
function copyBytes(dst: usize, src: usize, n: usize): void {
  if (n > 64) {
    memory.copy(dst, src, n);
    return;
  }
  while (n >= 8) {
    store<u64>(dst, load<u64>(src));
    dst += 8;
    src += 8;
    n -= 8;
  }
  while (n > 0) {
    store<u8>(dst++, load<u8>(src++));
    n--;
  }
}
