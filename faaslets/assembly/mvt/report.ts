// mvt-decode's second output, "repairs": what it tolerated or dropped in the tile, as a FEATURES region of
// one feature with no geometry and no layer whose properties are `strict` (the mode, bool) and one number
// per counter of mvt/repairs.ts, in that order — {"type": "Feature", "geometry": null, "properties":
// {"strict": false, "unknown_field": 0, …}} read back through the features codec.
import {
  FEATURE_GEOM_TYPE, FEATURE_ID, FEATURE_ID_TYPE, FEATURE_LAYER, FEATURE_PROP_COUNT, FEATURE_PROP_START,
  FEATURE_RING_COUNT, FEATURE_RING_START, FEATURE_STRIDE, GEOM_NULL, KIND_FEATURES, PROP_BOOL, PROP_KEY,
  PROP_NUMBER, PROP_STRIDE, PROP_TYPE, PROP_VALUE, SEC_MAIN, SEC_PROPS, SEC_STRINGS,
} from "../../abi/layout";
import { create, section, setTile } from "../lib/region";
import * as C from "./repairs";

const NO_LAYER: u32 = 0xffffffff;

/** Allocates and fills the report region for tile z/x/y; returns its address. */
export function writeReport(z: i32, x: u32, y: u32): usize {
  const n = <u32>C.COUNT + 1;
  let textBytes: u32 = 6; // "strict"
  for (let i: i32 = 0; i < C.COUNT; i++) textBytes += <u32>String.UTF8.byteLength(C.name(i));
  const stringsBytes = (<u64>(n + 1) << 2) + <u64>textBytes;
  const out = create(
    KIND_FEATURES, 1, FEATURE_STRIDE, 0,
    [<u64>FEATURE_STRIDE, 0, 0, <u64>n * PROP_STRIDE, stringsBytes],
    [1, 0, 0, n, n],
  );
  setTile(out, z, x, y);

  const f = section(out, SEC_MAIN);
  store<f64>(f + FEATURE_ID, NaN);
  store<u32>(f + FEATURE_GEOM_TYPE, GEOM_NULL);
  store<u32>(f + FEATURE_LAYER, NO_LAYER);
  store<u32>(f + FEATURE_RING_START, 0);
  store<u32>(f + FEATURE_RING_COUNT, 0);
  store<u32>(f + FEATURE_PROP_START, 0);
  store<u32>(f + FEATURE_PROP_COUNT, n);
  store<u32>(f + FEATURE_ID_TYPE, 0);
  store<u32>(f + FEATURE_ID_TYPE + 4, 0); // reserved

  const offsets = section(out, SEC_STRINGS);
  const text = offsets + ((<usize>n + 1) << 2);
  let at: u32 = 0;
  store<u32>(offsets, 0);
  const props = section(out, SEC_PROPS);
  for (let i: u32 = 0; i < n; i++) {
    const key = i == 0 ? "strict" : C.name(<i32>i - 1);
    const len = <u32>String.UTF8.byteLength(key);
    String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, text + at);
    at += len;
    store<u32>(offsets + ((<usize>i + 1) << 2), at);
    const p = props + <usize>i * PROP_STRIDE;
    store<u32>(p + PROP_KEY, i);
    store<u32>(p + PROP_TYPE, i == 0 ? PROP_BOOL : PROP_NUMBER);
    store<f64>(p + PROP_VALUE, i == 0 ? (C.strict ? 1 : 0) : <f64>C.get(<i32>i - 1));
  }
  return out;
}
