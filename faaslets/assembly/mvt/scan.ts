// Pass 1 of mvt-decode: validates the whole tile against the Mapbox Vector Tile 2.1 spec and counts what the
// output region will hold, so pass 2 can write into one exactly-sized region with no growth or copying.
//
// Besides the totals, the scan leaves for pass 2 everything it decoded, so that no field is parsed twice:
//   layers    per layer: where its name lies, its extent, how many keys, values and features it has
//   keys      per key: where its UTF-8 lies
//   values    per value: its type and number, or where its string lies
//   features  per output feature, in tile order: its id and type, where its tags and geometry lie
//   ringFlags one byte per polygon ring, in tile order: RING_KEEP (the ring is output) and RING_NEW_POLYGON
//             (it starts a polygon). This is @mapbox/vector-tile 3's classifyRings, decided here because it
//             needs each ring's signed area before anything is written.
//
// Strict mode refuses the first spec violation. Lenient mode (the default) reads the tile as
// @mapbox/vector-tile 3 does and counts each violation (mvt/repairs.ts): here for the tile and its layers,
// in mvt/scan-lenient.ts for a feature the strict feature scan refused. A layer that a later layer of the
// same name replaces is dropped after the fact: its totals are kept per layer and taken back.
//
// Work and memory are linear in the tile: every loop advances the cursor, counts are checked against the
// bytes left before they are trusted, and scratch grows from what was actually found (by doubling).
import { PROP_BOOL, PROP_NUMBER, PROP_STRING } from "../../abi/layout";
import { alloc } from "../lib/ctx";
import * as E from "./errors";
import * as R from "./reader";
import * as C from "./repairs";
import * as U from "./utf8";
import { scanFeatureLenient } from "./scan-lenient";

export const RING_KEEP: u8 = 1;
export const RING_NEW_POLYGON: u8 = 2;

export const LAYER_BYTES: usize = 56;
export const LAYER_NAME_AT = 0;     // u32 address
export const LAYER_NAME_LEN = 4;
export const LAYER_EXTENT = 8;
export const LAYER_KEYS = 12;       // counts of this layer's key, value and feature records
export const LAYER_VALUES = 16;
export const LAYER_FEATURES = 20;
export const LAYER_DROPPED = 24;    // u32 1: replaced by a later layer of the same name (lenient mode)
export const LAYER_MESSAGES = 28;   // feature messages in the layer (what @mapbox/vector-tile calls its length)
export const LAYER_RING_FLAGS = 32; // what the layer added to ringFlags and to the totals, to take back
export const LAYER_RINGS = 36;
export const LAYER_COORDS = 40;
export const LAYER_PROPS = 44;
export const LAYER_STRINGS = 48;
export const LAYER_STRING_BYTES = 52;

export const KEY_BYTES: usize = 8;  // u32 address, u32 length

export const VALUE_BYTES: usize = 16;
export const VALUE_NUMBER = 0;      // f64; for a string: u32 address, u32 length
export const VALUE_TYPE = 8;        // u32 PROP_STRING | PROP_NUMBER | PROP_BOOL

export const FEATURE_BYTES: usize = 32;
export const FEATURE_ID = 0;        // f64, NaN when the feature has none
export const FEATURE_GEOM_AT = 8;   // u32 addresses
export const FEATURE_GEOM_END = 12;
export const FEATURE_TAGS_AT = 16;  // with FEATURE_LENIENT_TAGS: the whole feature message
export const FEATURE_TAGS_END = 20;
export const FEATURE_TYPE = 24;     // u32: 1 POINT, 2 LINESTRING, 3 POLYGON
export const FEATURE_FLAGS = 28;    // u32: how pass 2 must read it
export const FEATURE_LENIENT_GEOMETRY: u32 = 1; // commands read as loadGeometry reads them (mvt/commands.ts)
export const FEATURE_LENIENT_TAGS: u32 = 2;     // several tags fields, or pairs to drop or merge

// totals for the output region
export let nLayers: u32 = 0;
export let nFeatures: u32 = 0;
export let nRings: u32 = 0;
export let nCoords: u32 = 0;
export let nProps: u32 = 0;
export let nStrings: u32 = 0;
export let nStringBytes: u32 = 0;
export let maxKeys: u32 = 0;
export let maxValues: u32 = 0;

// what pass 2 reads back
export let layers: usize = 0;
export let keys: usize = 0;
export let values: usize = 0;
export let features: usize = 0;
export let ringFlags: usize = 0;
let keysLen: u32 = 0, keysCap: u32 = 0;
let valuesLen: u32 = 0, valuesCap: u32 = 0;
export let featuresLen: u32 = 0;
let featuresCap: u32 = 0;
export let ringFlagsCap: usize = 0;
export let ringFlagsLen: usize = 0;

// where an error was found, for the message
export let atLayer: i32 = -1;
export let atFeature: i32 = -1;
export let atLayerName: usize = 0;
export let atLayerNameLen: usize = 0;

// per-feature stamps for "key index repeated": keyStamp[k] == featureSerial when key k was seen
export let keyStamp: usize = 0;
let keyStampCap: u32 = 0;
export let featureSerial: u32 = 0;

// layer names: open-addressing hash of layer indices (+1). Names crafted to collide could make probing
// quadratic: past a probe budget the hash is dropped and all names are sorted instead (O(n log n)).
let nameHash: usize = 0;
let nameHashMask: u32 = 0;
let nameProbes: u32 = 0;
let nameHashGivenUp = false;

// per-layer state read by the feature scan
export let layerKeys: u32 = 0;
export let layerValues: u32 = 0;
export let layerVersion: u32 = 0;

export function scanTile(start: usize, end: usize): void {
  nLayers = 0; nFeatures = 0; nRings = 0; nCoords = 0; nProps = 0; nStrings = 0; nStringBytes = 0;
  maxKeys = 0; maxValues = 0;
  atLayer = -1; atFeature = -1; atLayerNameLen = 0;
  keyStamp = 0; keyStampCap = 0; featureSerial = 0;
  keys = 0; keysLen = 0; keysCap = 0;
  values = 0; valuesLen = 0; valuesCap = 0;
  features = 0; featuresLen = 0; featuresCap = 0;
  // A polygon ring takes at least 9 bytes (MoveTo + 2 params, LineTo + 4 params, ClosePath); read
  // leniently, one MoveTo pair (2 bytes) is a ring.
  ringFlagsCap = (end - start) / (C.strict ? 9 : 2) + 1;
  ringFlags = alloc(ringFlagsCap, 8);
  ringFlagsLen = 0;
  R.reset(start);

  // Tile: `repeated Layer layers = 3`, extensions 16 to 8191. Count layers first to size the name hash.
  let count: u32 = 0;
  while (R.pos < end) {
    const tag = R.readTag(end);
    if (R.failed) return;
    const field = tag >> 3, wire = tag & 7;
    if (field == 3) {
      if (wireFits(E.FIELD_TILE_LAYER, wire, end)) {
        R.pos = R.readLengthEnd(end);
        count++;
      }
    } else if (field >= 16 && field <= 8191) {
      R.skip(wire, end);
    } else {
      unknownField(end, E.E_UNKNOWN_TILE_FIELD, field, wire);
    }
    if (R.failed) return;
  }
  let slots: u32 = 16;
  while (slots < count * 2) slots <<= 1;
  nameHashMask = slots - 1;
  nameHash = alloc(<usize>slots << 2, 8);
  memory.fill(nameHash, 0, <usize>slots << 2);
  nameProbes = 0;
  nameHashGivenUp = false;
  layers = alloc(<usize>count * LAYER_BYTES, 8);

  R.pos = start;
  while (R.pos < end) {
    const tag = R.readTag(end);
    if (tag == 0x1a) { // field 3, length-delimited
      const e = R.readLengthEnd(end);
      atLayer = <i32>nLayers;
      scanLayer(R.pos, e, layers + <usize>nLayers * LAYER_BYTES);
      if (R.failed) return;
      R.pos = e;
      nLayers++;
    } else {
      R.skip(tag & 7, end);
    }
  }
  atLayer = -1;
  atFeature = -1;
  if (nameHashGivenUp) checkNamesBySorting();
}

/**
 * Whether a field has the wire type its schema gives it. If not, strict mode refuses the tile; lenient mode
 * skips the field as unknown (@mapbox/vector-tile matches whole field keys) and returns false.
 */
function wireFits(field: u32, wire: u32, end: usize): bool {
  if (wire == E.fieldWire(field)) return true;
  if (C.strict) {
    R.fail(end, E.E_WIRE_MISMATCH, field, wire);
    return false;
  }
  C.note(C.UNKNOWN_FIELD);
  R.skip(wire, end);
  return false;
}

/** A field the schema does not have: refused (strict, with `code`) or skipped (lenient). */
function unknownField(end: usize, code: i32, field: u32, wire: u32): void {
  if (C.strict) return R.fail(end, code, field);
  C.note(C.UNKNOWN_FIELD);
  R.skip(wire, end);
}

/** Records a string's place: a long valid one without its BOM, an invalid one decoded (lenient) or refused. */
function stringAt(p: usize, e: usize, record: usize, code: i32, index: u32, end: usize): bool {
  if (R.validUtf8(p, e)) {
    const skip = U.bomSkip(p, e);
    store<u32>(record, <u32>(p + skip));
    store<u32>(record + 4, <u32>(e - p - skip));
    return true;
  }
  if (C.strict) {
    R.fail(end, code, index);
    return false;
  }
  C.note(C.INVALID_UTF8);
  U.decode(p, e);
  store<u32>(record, <u32>U.outAt);
  store<u32>(record + 4, <u32>U.outLen);
  return true;
}

function scanLayer(s: usize, e: usize, info: usize): void {
  let hasName = false, hasVersion = false, hasExtent = false;
  let extent: u32 = 4096;
  let nKeys: u32 = 0, nValues: u32 = 0, stringValues: u32 = 0, nFeaturesHere: u32 = 0;
  let bytes: u64 = 0;
  // features usually sit together (before keys and values): the feature walk covers only their span
  let featuresFrom: usize = e, featuresTo: usize = s;
  // what the tile held before this layer, to record what the layer adds (lenient mode may take it back)
  const ringFlags0 = ringFlagsLen, rings0 = nRings, coords0 = nCoords, props0 = nProps;
  const strings0 = nStrings, stringBytes0 = nStringBytes;
  store<u32>(info + LAYER_NAME_AT, 0);
  store<u32>(info + LAYER_NAME_LEN, 0);
  layerVersion = 0;
  R.pos = s;
  while (R.pos < e) {
    const at = R.pos;
    const tag = R.readTag(e);
    if (R.failed) return;
    const field = tag >> 3, wire = tag & 7;
    if (field == 2) {
      if (wireFits(E.FIELD_LAYER_FEATURE, wire, e)) {
        R.pos = R.readLengthEnd(e);
        if (nFeaturesHere++ == 0) featuresFrom = at;
        featuresTo = R.pos;
      }
    } else if (field == 4) {
      if (wireFits(E.FIELD_LAYER_VALUE, wire, e)) {
        const le = R.readLengthEnd(e);
        if (R.failed) return;
        const stringBytes = scanValue(le, nValues);
        if (R.failed) return;
        if (stringBytes >= 0) {
          stringValues++;
          bytes += <u64>stringBytes;
        }
        nValues++;
      }
    } else if (field == 3) {
      if (wireFits(E.FIELD_LAYER_KEY, wire, e)) {
        const le = R.readLengthEnd(e);
        if (R.failed) return;
        if (keysLen == keysCap) keys = grow(keys, keysLen, (keysCap = max<u32>(16, keysCap << 1)), KEY_BYTES);
        const k = keys + <usize>keysLen * KEY_BYTES;
        if (!stringAt(R.pos, le, k, E.E_KEY_UTF8, nKeys, e)) return;
        keysLen++;
        bytes += <u64>load<u32>(k + 4);
        R.pos = le;
        nKeys++;
      }
    } else if (field == 1) {
      if (wireFits(E.FIELD_LAYER_NAME, wire, e)) {
        if (hasName && repeated(e, E.E_DUP_NAME)) return;
        const le = R.readLengthEnd(e);
        if (R.failed) return;
        if (!stringAt(R.pos, le, info + LAYER_NAME_AT, E.E_NAME_UTF8, 0, e)) return; // the last name wins
        hasName = true;
        atLayerName = <usize>load<u32>(info + LAYER_NAME_AT);
        atLayerNameLen = <usize>load<u32>(info + LAYER_NAME_LEN);
        R.pos = le;
      }
    } else if (field == 5) {
      if (wireFits(E.FIELD_LAYER_EXTENT, wire, e)) {
        if (hasExtent && repeated(e, E.E_DUP_EXTENT)) return;
        hasExtent = true;
        extent = R.readU32(e);
        if (R.failed) return;
        if (extent == 0 && C.strict) return R.fail(e, E.E_EXTENT_ZERO);
      }
    } else if (field == 15) {
      if (wireFits(E.FIELD_LAYER_VERSION, wire, e)) {
        if (hasVersion && repeated(e, E.E_DUP_VERSION)) return;
        hasVersion = true;
        layerVersion = R.readU32(e);
        if (R.failed) return;
        if (layerVersion != 1 && layerVersion != 2 && C.strict) return R.fail(e, E.E_BAD_VERSION, layerVersion);
      }
    } else if (field >= 16) {
      R.skip(wire, e);
    } else {
      unknownField(e, E.E_UNKNOWN_LAYER_FIELD, field, wire);
    }
    if (R.failed) return;
  }
  // an extent of 0 would put every coordinate at infinity: refused in both modes
  if (extent == 0) return R.fail(e, E.E_EXTENT_ZERO);
  if (!hasName) {
    if (C.strict) return R.fail(e, E.E_NO_NAME);
    C.note(C.LAYER_WITHOUT_NAME); // @mapbox/vector-tile names it ""
  }
  if (!hasVersion) {
    if (C.strict) return R.fail(e, E.E_NO_VERSION);
    C.note(C.LAYER_WITHOUT_VERSION);
    layerVersion = 1;
  } else if (layerVersion != 1 && layerVersion != 2) {
    C.note(C.LAYER_VERSION_UNKNOWN);
  }
  // @mapbox/vector-tile keeps the last of the layers of one name that have features: only those take part
  if ((C.strict || nFeaturesHere > 0) && !addLayerName(<usize>load<u32>(info + LAYER_NAME_AT), <usize>load<u32>(info + LAYER_NAME_LEN))) {
    return R.fail(e, E.E_DUP_LAYER_NAME);
  }
  bytes += <u64>load<u32>(info + LAYER_NAME_LEN);

  nStrings += 1 + nKeys + stringValues;
  const total = <u64>nStringBytes + bytes;
  if (total > 0xffffffff) return R.fail(e, E.E_STRINGS_TOO_BIG);
  nStringBytes = <u32>total;
  if (nKeys > maxKeys) maxKeys = nKeys;
  if (nValues > maxValues) maxValues = nValues;
  if (nKeys > keyStampCap) {
    keyStampCap = max<u32>(nKeys, keyStampCap << 1);
    keyStamp = alloc(<usize>keyStampCap << 2, 8);
    memory.fill(keyStamp, 0, <usize>keyStampCap << 2);
  }
  layerKeys = nKeys;
  layerValues = nValues;
  store<u32>(info + LAYER_EXTENT, extent);
  store<u32>(info + LAYER_KEYS, nKeys);
  store<u32>(info + LAYER_VALUES, nValues);
  store<u32>(info + LAYER_FEATURES, 0);
  store<u32>(info + LAYER_DROPPED, 0);
  store<u32>(info + LAYER_MESSAGES, nFeaturesHere);

  if (nFeaturesHere > 0) {
    if (featuresLen + nFeaturesHere > featuresCap) {
      const cap = max<u32>(featuresLen + nFeaturesHere, featuresCap << 1);
      features = grow(features, featuresLen, cap, FEATURE_BYTES);
      featuresCap = cap;
    }
    const first = featuresLen;
    let i: i32 = 0;
    R.pos = featuresFrom;
    while (R.pos < featuresTo) {
      const tag = R.readTag(e);
      if (tag == 0x12) { // field 2, length-delimited
        const fe = R.readLengthEnd(e);
        atFeature = i++;
        scanFeature(R.pos, fe);
        if (R.failed) return;
        R.pos = fe;
      } else {
        R.skip(tag & 7, e);
      }
    }
    atFeature = -1;
    store<u32>(info + LAYER_FEATURES, featuresLen - first);
  }
  store<u32>(info + LAYER_RING_FLAGS, <u32>(ringFlagsLen - ringFlags0));
  store<u32>(info + LAYER_RINGS, nRings - rings0);
  store<u32>(info + LAYER_COORDS, nCoords - coords0);
  store<u32>(info + LAYER_PROPS, nProps - props0);
  store<u32>(info + LAYER_STRINGS, nStrings - strings0);
  store<u32>(info + LAYER_STRING_BYTES, nStringBytes - stringBytes0);
}

/** A second field where the schema has one: refused in strict mode (returns true), else counted (the last wins). */
function repeated(e: usize, code: i32): bool {
  if (C.strict) {
    R.fail(e, code);
    return true;
  }
  C.note(C.REPEATED_FIELD);
  return false;
}

/** Lenient mode: layer `i`, replaced by a later layer of its name, gives back what it added to the totals. */
function dropLayer(i: u32): void {
  const info = layers + <usize>i * LAYER_BYTES;
  store<u32>(info + LAYER_DROPPED, 1);
  nFeatures -= load<u32>(info + LAYER_FEATURES);
  nRings -= load<u32>(info + LAYER_RINGS);
  nCoords -= load<u32>(info + LAYER_COORDS);
  nProps -= load<u32>(info + LAYER_PROPS);
  nStrings -= load<u32>(info + LAYER_STRINGS);
  nStringBytes -= load<u32>(info + LAYER_STRING_BYTES);
  C.note(C.LAYER_REPLACED);
}

/** A new scratch array of `cap` records holding the `len` records of `from` (scratch is never freed). */
function grow(from: usize, len: u32, cap: u32, recordBytes: usize): usize {
  const next = alloc(<usize>cap * recordBytes, 8);
  if (len > 0) memory.copy(next, from, <usize>len * recordBytes);
  return next;
}

/**
 * Validates Value `index` (ending at `e`: exactly one known field, strings UTF-8) and records it. Returns the
 * string's byte length, or -1 for other types. Lenient mode reads it as @mapbox/vector-tile does: unknown
 * fields are skipped and the last field wins, but a value whose last field is unknown, or that has no field,
 * is refused in both modes (@mapbox/vector-tile throws on it, for the whole tile).
 */
function scanValue(e: usize, index: u32): i64 {
  if (valuesLen == valuesCap) values = grow(values, valuesLen, (valuesCap = max<u32>(16, valuesCap << 1)), VALUE_BYTES);
  const v = values + <usize>valuesLen * VALUE_BYTES;
  valuesLen++;
  let fields: u32 = 0;
  let stringBytes: i64 = -1;
  let unknownKey: u32 = 0; // the last field, when it is not a known one (lenient mode)
  while (R.pos < e) {
    const key = R.readTag(e);
    if (R.failed) return -1;
    unknownKey = 0;
    if (key == 0x0a) { // string_value
      const le = R.readLengthEnd(e);
      if (R.failed) return -1;
      if (!stringAt(R.pos, le, v + VALUE_NUMBER, E.E_VALUE_UTF8, index, e)) return -1;
      stringBytes = <i64>load<u32>(v + VALUE_NUMBER + 4);
      store<u32>(v + VALUE_TYPE, PROP_STRING);
      R.pos = le;
    } else if (key == 0x15) { // float_value
      if (e - R.pos < 4) {
        R.fail(e, E.E_FIXED_PAST_END);
        return -1;
      }
      store<f64>(v + VALUE_NUMBER, <f64>load<f32>(R.pos));
      store<u32>(v + VALUE_TYPE, PROP_NUMBER);
      stringBytes = -1;
      R.pos += 4;
    } else if (key == 0x19) { // double_value
      if (e - R.pos < 8) {
        R.fail(e, E.E_FIXED_PAST_END);
        return -1;
      }
      store<f64>(v + VALUE_NUMBER, load<f64>(R.pos));
      store<u32>(v + VALUE_TYPE, PROP_NUMBER);
      stringBytes = -1;
      R.pos += 8;
    } else if (key == 0x20 || key == 0x28 || key == 0x30 || key == 0x38) { // int, uint, sint, bool
      const raw = R.readVarint(e);
      let n: f64;
      if (key == 0x20) n = <f64><i64>raw;
      else if (key == 0x28) n = <f64>raw;
      else if (key == 0x30) n = <f64>(<i64>(raw >>> 1) ^ -<i64>(raw & 1));
      else n = raw != 0 ? 1 : 0;
      store<f64>(v + VALUE_NUMBER, n);
      store<u32>(v + VALUE_TYPE, key == 0x38 ? PROP_BOOL : PROP_NUMBER);
      stringBytes = -1;
    } else if (C.strict) {
      refuseValueField(e, index, key);
      return -1;
    } else {
      C.note(C.UNKNOWN_FIELD);
      R.skip(key & 7, e);
      unknownKey = key | 0x80000000; // key 0 is a key too
    }
    if (R.failed) return -1;
    if (unknownKey == 0) fields++;
  }
  if (unknownKey != 0) {
    refuseValueField(e, index, unknownKey & 0x7fffffff);
    return -1;
  }
  if (fields != 1) {
    if (C.strict || fields == 0) {
      R.fail(e, E.E_VALUE_FIELD_COUNT, index, fields);
      return -1;
    }
    C.note(C.REPEATED_FIELD);
  }
  return stringBytes;
}

/** Value field `key` is not one of the seven: a known field number with the wrong wire type, or unknown. */
function refuseValueField(e: usize, index: u32, key: u32): void {
  const field = key >> 3;
  if (field >= 1 && field <= 7) R.fail(e, E.E_WIRE_MISMATCH, E.FIELD_STRING_VALUE + field - 1, key & 7);
  else R.fail(e, E.E_VALUE_UNKNOWN_FIELD, index, field);
}

/**
 * Adds layer nLayers's name to the set; false if another layer has it already. Lenient mode drops that
 * other layer instead (@mapbox/vector-tile's `layers[name]` holds the last one).
 */
function addLayerName(p: usize, n: usize): bool {
  if (nameHashGivenUp) return true; // checked by sorting once all layers are known
  let h: u32 = 2166136261;
  for (let i: usize = 0; i < n; i++) h = (h ^ <u32>load<u8>(p + i)) * 16777619;
  let slot = h & nameHashMask;
  while (true) {
    const at = nameHash + (<usize>slot << 2);
    const k = load<u32>(at);
    if (k == 0) {
      store<u32>(at, nLayers + 1);
      return true;
    }
    const other = layers + <usize>(k - 1) * LAYER_BYTES;
    const otherLen = <usize>load<u32>(other + LAYER_NAME_LEN);
    if (otherLen == n && memory.compare(<usize>load<u32>(other + LAYER_NAME_AT), p, n) == 0) {
      if (C.strict) return false;
      dropLayer(k - 1);
      store<u32>(at, nLayers + 1);
      return true;
    }
    slot = (slot + 1) & nameHashMask;
    if (++nameProbes > (nLayers << 3) + 64) {
      nameHashGivenUp = true;
      return true;
    }
  }
}

/** Orders layers i and j by name (bytes, then length). */
function compareNames(i: u32, j: u32): i32 {
  const a = layers + <usize>i * LAYER_BYTES, b = layers + <usize>j * LAYER_BYTES;
  const la = <usize>load<u32>(a + LAYER_NAME_LEN), lb = <usize>load<u32>(b + LAYER_NAME_LEN);
  const c = memory.compare(<usize>load<u32>(a + LAYER_NAME_AT), <usize>load<u32>(b + LAYER_NAME_AT), min(la, lb));
  return c != 0 ? c : la < lb ? -1 : la > lb ? 1 : 0;
}

/**
 * The duplicate-name check when the hash was given up: a bottom-up merge sort of the layer indices (stable,
 * so equal names keep their tile order). Lenient mode sorts only the layers that take part (features, not
 * dropped) and drops all but the last of each name.
 */
function checkNamesBySorting(): void {
  let n: u32 = 0;
  let src = alloc(<usize>nLayers << 2, 8), dst = alloc(<usize>nLayers << 2, 8);
  for (let i: u32 = 0; i < nLayers; i++) {
    const info = layers + <usize>i * LAYER_BYTES;
    if (!C.strict && (load<u32>(info + LAYER_MESSAGES) == 0 || load<u32>(info + LAYER_DROPPED) != 0)) continue;
    store<u32>(src + (<usize>n << 2), i);
    n++;
  }
  for (let width: u32 = 1; width < n; width <<= 1) {
    for (let lo: u32 = 0; lo < n; lo += width << 1) {
      const mid = min<u32>(lo + width, n), hi = min<u32>(lo + (width << 1), n);
      let i = lo, j = mid;
      for (let k = lo; k < hi; k++) {
        let take: u32;
        if (j >= hi || (i < mid && compareNames(load<u32>(src + (<usize>i << 2)), load<u32>(src + (<usize>j << 2))) <= 0)) {
          take = load<u32>(src + (<usize>i << 2));
          i++;
        } else {
          take = load<u32>(src + (<usize>j << 2));
          j++;
        }
        store<u32>(dst + (<usize>k << 2), take);
      }
    }
    const t = src; src = dst; dst = t;
  }
  for (let i: u32 = 1; i < n; i++) {
    const a = load<u32>(src + (<usize>(i - 1) << 2)), b = load<u32>(src + (<usize>i << 2));
    if (compareNames(a, b) != 0) continue;
    if (!C.strict) {
      dropLayer(a); // the earlier of the two: equal names keep their tile order
      continue;
    }
    {
      const later = max<u32>(a, b);
      const info = layers + <usize>later * LAYER_BYTES;
      atLayer = <i32>later;
      atLayerName = <usize>load<u32>(info + LAYER_NAME_AT);
      atLayerNameLen = <usize>load<u32>(info + LAYER_NAME_LEN);
      R.fail(R.pos, E.E_DUP_LAYER_NAME);
      return;
    }
  }
}

// Feature fields are dispatched on the whole key byte (field and wire type at once); the cursor is a local.
export const KEY_ID: u32 = 0x08;       // field 1, varint
export const KEY_TAGS: u32 = 0x12;     // field 2, length-delimited
export const KEY_TYPE: u32 = 0x18;     // field 3, varint
export const KEY_GEOMETRY: u32 = 0x22; // field 4, length-delimited

/** One feature: the strict scan; in lenient mode, a feature it refuses is read again by scanFeatureLenient. */
function scanFeature(s: usize, e: usize): void {
  const flagsAt = ringFlagsLen;
  scanFeatureStrict(s, e);
  if (!R.failed || C.strict) return;
  R.clear();
  ringFlagsLen = flagsAt;
  scanFeatureLenient(s, e);
}

function scanFeatureStrict(s: usize, e: usize): void {
  let hasId = false, hasTags = false, hasType = false, hasGeometry = false;
  let type: u64 = 0;
  let id: f64 = NaN;
  let geomStart: usize = 0, geomEnd: usize = 0, tagsStart: usize = 0, tagsEnd: usize = 0;
  let pairs: u32 = 0;
  const serial = ++featureSerial;
  let p = s;
  while (p < e) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32);
    const key = <u32>r;
    if (R.failed) return;
    if (key == KEY_TAGS) {
      if (hasTags) return failAt(p, e, E.E_DUP_TAGS);
      hasTags = true;
      r = R.lengthAt(p, e); p += <usize>(r >>> 32);
      const te = p + <usize><u32>r;
      tagsStart = p;
      tagsEnd = te;
      while (p < te) {
        r = R.u32At(p, te); p += <usize>(r >>> 32);
        const k = <u32>r;
        if (p >= te && !R.failed) return failAt(p, e, E.E_ODD_TAGS);
        r = R.u32At(p, te); p += <usize>(r >>> 32);
        const v = <u32>r;
        if (R.failed) return;
        if (k >= layerKeys) return failAt(p, e, E.E_KEY_RANGE, k, layerKeys);
        if (v >= layerValues) return failAt(p, e, E.E_VALUE_RANGE, v, layerValues);
        const stamp = keyStamp + (<usize>k << 2);
        if (load<u32>(stamp) == serial) return failAt(p, e, E.E_KEY_REPEATED, k);
        store<u32>(stamp, serial);
        pairs++;
      }
    } else if (key == KEY_GEOMETRY) {
      if (hasGeometry) return failAt(p, e, E.E_DUP_GEOMETRY);
      hasGeometry = true;
      r = R.lengthAt(p, e); p += <usize>(r >>> 32);
      geomStart = p;
      geomEnd = p + <usize><u32>r;
      p = geomEnd;
    } else if (key == KEY_TYPE) {
      if (hasType) return failAt(p, e, E.E_DUP_TYPE);
      hasType = true;
      R.pos = p;
      type = R.readVarint(e);
      p = R.pos;
      if (R.failed) return;
      if (type > 3) return R.fail(e, E.E_BAD_TYPE, type);
    } else if (key == KEY_ID) {
      if (hasId) return failAt(p, e, E.E_DUP_ID);
      hasId = true;
      R.pos = p;
      id = <f64>R.readVarint(e);
      p = R.pos;
    } else {
      const field = key >> 3, wire = key & 7;
      if (field == 0) return failAt(p, e, E.E_BAD_FIELD_KEY, key);
      if (field <= 4) return failAt(p, e, E.E_WIRE_MISMATCH, E.FIELD_FEATURE_ID + field - 1, wire);
      return failAt(p, e, E.E_UNKNOWN_FEATURE_FIELD, field);
    }
    if (R.failed) return;
  }
  R.pos = e;
  if (!hasType) return R.fail(e, E.E_NO_TYPE);
  if (!hasGeometry) return R.fail(e, E.E_NO_GEOMETRY);
  if (type == 0) {
    // UNKNOWN: the spec lets decoders ignore these features; still require well-formed packed integers.
    R.pos = geomStart;
    while (R.pos < geomEnd) R.readU32(geomEnd);
    if (!R.failed) C.note(C.UNKNOWN_TYPE_SKIPPED);
    return;
  }
  if (geomStart == geomEnd) return R.fail(e, E.E_EMPTY_GEOMETRY);
  scanGeometry(<u32>type, geomStart, geomEnd);
  if (R.failed) return;
  addFeature(id, geomStart, geomEnd, tagsStart, tagsEnd, <u32>type, 0);
  nProps += pairs;
}

/** The record pass 2 writes a feature from. */
export function addFeature(id: f64, geomStart: usize, geomEnd: usize, tagsStart: usize, tagsEnd: usize, type: u32, flags: u32): void {
  const rec = features + <usize>featuresLen * FEATURE_BYTES;
  featuresLen++;
  store<f64>(rec + FEATURE_ID, id);
  store<u32>(rec + FEATURE_GEOM_AT, <u32>geomStart);
  store<u32>(rec + FEATURE_GEOM_END, <u32>geomEnd);
  store<u32>(rec + FEATURE_TAGS_AT, <u32>tagsStart);
  store<u32>(rec + FEATURE_TAGS_END, <u32>tagsEnd);
  store<u32>(rec + FEATURE_TYPE, type);
  store<u32>(rec + FEATURE_FLAGS, flags);
  nFeatures++;
}

/** A fresh stamp for the key-repeat check of one feature. */
export function nextSerial(): u32 {
  return ++featureSerial;
}

/** The spec's command grammar for a geometry of type 1..3 (non-empty): counts its rings and coordinates. */
export function scanGeometry(type: u32, s: usize, e: usize): void {
  if (type == 1) scanPoints(s, e);
  else if (type == 2) scanLines(s, e);
  else scanPolygons(s, e);
}

/** Reports an error found with the cursor in a local at p. */
function failAt(p: usize, e: usize, code: i32, a: u64 = 0, b: u64 = 0): void {
  R.pos = p;
  R.fail(e, code, a, b);
}

/** Fails unless `count` pairs of parameters can still fit in the geometry (each takes >= 2 bytes). */
// @ts-ignore: decorator
@inline function fitsPairs(count: u32, e: usize): bool {
  if (<u64>count * 2 <= <u64>(e - R.pos)) return true;
  R.fail(e, E.E_COUNT_TOO_BIG, count, e - R.pos);
  return false;
}

// The geometry scans keep their cursor in a local p (R.u32At); R.pos is set only to report an error.

function scanPoints(s: usize, e: usize): void {
  let p = s;
  let r = R.u32At(p, e); p += <usize>(r >>> 32);
  const cmd = <u32>r;
  if (R.failed) return;
  const id = cmd & 7, count = cmd >> 3;
  R.pos = p;
  if (id != 1) return R.fail(e, E.E_POINT_START, id);
  if (count == 0) return R.fail(e, E.E_MOVETO_COUNT_ZERO);
  if (!fitsPairs(count, e)) return;
  for (let i: u32 = 0; i < count; i++) {
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
  }
  if (R.failed) return;
  R.pos = p;
  if (p != e) return R.fail(e, E.E_POINT_TRAILING);
  nRings += 1;
  nCoords += count;
}

function scanLines(s: usize, e: usize): void {
  let p = s;
  let rings: u32 = 0, coords: u32 = 0;
  while (p < e) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32);
    let cmd = <u32>r;
    R.pos = p;
    if (R.failed) return;
    if ((cmd & 7) != 1) return R.fail(e, E.E_EXPECT_MOVETO, cmd & 7, 2);
    if ((cmd >> 3) != 1) return R.fail(e, E.E_MOVETO_COUNT, cmd >> 3, 2);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    R.pos = p;
    if (R.failed) return;
    if (p >= e) return R.fail(e, E.E_NO_LINETO, 0, 2);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    cmd = <u32>r;
    R.pos = p;
    if (R.failed) return;
    if ((cmd & 7) != 2) return R.fail(e, E.E_EXPECT_LINETO, cmd & 7, 2);
    const count = cmd >> 3;
    if (count == 0) return R.fail(e, E.E_LINETO_COUNT, 0, 2);
    if (!fitsPairs(count, e)) return;
    for (let i: u32 = 0; i < count; i++) {
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      const dx = <u32>r;
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      if ((dx | <u32>r) == 0 && !R.failed) {
        R.pos = p;
        return R.fail(e, E.E_ZERO_SEGMENT);
      }
    }
    if (R.failed) return;
    rings++;
    coords += count + 1;
  }
  nRings += rings;
  nCoords += coords;
}

function scanPolygons(s: usize, e: usize): void {
  let p = s;
  const first = ringFlagsLen;
  let rings: u32 = 0, keptRings: u32 = 0, keptCoords: u32 = 0, firstRingCoords: u32 = 0;
  let orientation: i32 = 0; // sign of the first ring with a non-zero area
  let x: i64 = 0, y: i64 = 0;
  while (p < e) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32);
    let cmd = <u32>r;
    R.pos = p;
    if (R.failed) return;
    if ((cmd & 7) != 1) return R.fail(e, E.E_EXPECT_MOVETO, cmd & 7, 3);
    if ((cmd >> 3) != 1) return R.fail(e, E.E_MOVETO_COUNT, cmd >> 3, 3);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    x += R.zigzag32(<u32>r);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    y += R.zigzag32(<u32>r);
    R.pos = p;
    if (R.failed) return;
    if (p >= e) return R.fail(e, E.E_NO_LINETO, 0, 3);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    cmd = <u32>r;
    R.pos = p;
    if (R.failed) return;
    if ((cmd & 7) != 2) return R.fail(e, E.E_EXPECT_LINETO, cmd & 7, 3);
    const count = cmd >> 3;
    if (count < 2) return R.fail(e, E.E_LINETO_COUNT, count, 3);
    if (!fitsPairs(count, e)) return;
    // signed area exactly as @mapbox/vector-tile's signedArea, over the closed ring, in the same order
    const x0 = x, y0 = y;
    let area: f64 = 0;
    for (let i: u32 = 0; i < count; i++) {
      const px = x, py = y;
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      const dx = <u32>r;
      r = R.u32At(p, e); p += <usize>(r >>> 32);
      const dy = <u32>r;
      if ((dx | dy) == 0 && !R.failed) {
        R.pos = p;
        return R.fail(e, E.E_ZERO_SEGMENT);
      }
      x += R.zigzag32(dx);
      y += R.zigzag32(dy);
      area += (<f64>px - <f64>x) * (<f64>y + <f64>py);
    }
    R.pos = p;
    if (R.failed) return;
    if (p >= e) return R.fail(e, E.E_NOT_CLOSED);
    r = R.u32At(p, e); p += <usize>(r >>> 32);
    cmd = <u32>r;
    R.pos = p;
    if (R.failed) return;
    if ((cmd & 7) != 7) return R.fail(e, E.E_EXPECT_CLOSEPATH, cmd & 7);
    if ((cmd >> 3) != 1) return R.fail(e, E.E_CLOSEPATH_COUNT, cmd >> 3);
    if (x == x0 && y == y0) return R.fail(e, E.E_RING_REPEATS_FIRST);
    area += (<f64>x - <f64>x0) * (<f64>y0 + <f64>y);

    const coords = count + 2; // MoveTo point, LineTo points, closing copy of the first point
    let flag: u8 = 0;
    if (area != 0) {
      const negative: i32 = area < 0 ? -1 : 1;
      if (orientation == 0) {
        if (negative < 0 && layerVersion == 2) return R.fail(e, E.E_FIRST_RING_INTERIOR);
        orientation = negative;
      }
      flag = negative == orientation ? RING_KEEP | RING_NEW_POLYGON : RING_KEEP;
    }
    if (ringFlagsLen >= ringFlagsCap) return R.fail(e, E.E_INTERNAL);
    store<u8>(ringFlags + ringFlagsLen++, flag);
    if (rings == 0) firstRingCoords = coords;
    rings++;
    if (flag != 0) {
      keptRings++;
      keptCoords += coords;
    }
  }
  if (rings == 1) {
    // classifyRings returns a lone ring as a polygon whatever its area
    store<u8>(ringFlags + first, RING_KEEP | RING_NEW_POLYGON);
    keptRings = 1;
    keptCoords = firstRingCoords;
  } else if (keptRings < rings) {
    C.note(C.ZERO_AREA_RING_DROPPED, rings - keptRings);
  }
  nRings += keptRings;
  nCoords += keptCoords;
}
