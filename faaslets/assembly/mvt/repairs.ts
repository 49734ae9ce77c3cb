// What mvt-decode tolerated or dropped while reading a tile, one counter per rule. The decoder hands them
// back as its second output (mvt/report.ts). Rules 0..17 are spec violations: strict mode refuses the
// tile at the first one (with the mvt/errors.ts code named beside it), the default (lenient) mode reads
// on as @mapbox/vector-tile 3 does and counts each occurrence. Rules 18 and 19 are what the spec allows a
// decoder to drop; both modes count them.
//
// The counters live in invocation memory (static data is read-only and shared by every instance).
import { alloc } from "../lib/ctx";

export const UNKNOWN_FIELD: i32 = 0;          // E_UNKNOWN_*_FIELD, E_VALUE_UNKNOWN_FIELD, E_WIRE_MISMATCH, field 0: skipped
export const REPEATED_FIELD: i32 = 1;         // E_DUP_NAME/VERSION/EXTENT/ID/TYPE/GEOMETRY/TAGS, E_VALUE_FIELD_COUNT > 1: the last wins (tags: all read)
export const LAYER_WITHOUT_NAME: i32 = 2;     // E_NO_NAME: the name is ""
export const LAYER_WITHOUT_VERSION: i32 = 3;  // E_NO_VERSION: version 1
export const LAYER_VERSION_UNKNOWN: i32 = 4;  // E_BAD_VERSION: read all the same
export const INVALID_UTF8: i32 = 5;           // E_NAME_UTF8, E_KEY_UTF8, E_VALUE_UTF8: decoded with U+FFFD as pbf does
export const LAYER_REPLACED: i32 = 6;         // E_DUP_LAYER_NAME: a later layer of the same name replaces it
export const TAG_OUT_OF_RANGE: i32 = 7;       // E_KEY_RANGE, E_VALUE_RANGE: the pair is dropped
export const TAG_KEY_REPEATED: i32 = 8;       // E_KEY_REPEATED: the later value wins, in the first one's place
export const FEATURE_WITHOUT_TYPE: i32 = 9;   // E_NO_TYPE: the feature is skipped
export const GEOMETRY_TYPE_UNKNOWN: i32 = 10; // E_BAD_TYPE: the feature is skipped
export const FEATURE_WITHOUT_GEOMETRY: i32 = 11; // E_NO_GEOMETRY: the feature is skipped
export const COMMAND_UNKNOWN: i32 = 12;       // a command id other than 1, 2, 7: the feature is skipped
export const GEOMETRY_EMPTY: i32 = 13;        // E_EMPTY_GEOMETRY: an empty MultiPoint, MultiLineString or Polygon
export const COMMAND_OUT_OF_ORDER: i32 = 14;  // E_POINT_START/TRAILING, E_EXPECT_*, E_NO_LINETO, E_NOT_CLOSED: read as loadGeometry reads it
export const COMMAND_COUNT: i32 = 15;         // E_MOVETO_COUNT(_ZERO), E_LINETO_COUNT, E_CLOSEPATH_COUNT, E_COUNT_TOO_BIG: see mvt/commands.ts
export const ZERO_LENGTH_SEGMENT: i32 = 16;   // E_ZERO_SEGMENT, E_RING_REPEATS_FIRST: kept
export const EXTERIOR_RING_WINDING: i32 = 17; // E_FIRST_RING_INTERIOR: rings judged against the first one's winding
export const ZERO_AREA_RING_DROPPED: i32 = 18; // classifyRings drops zero-area rings among several (a SHOULD NOT)
export const UNKNOWN_TYPE_SKIPPED: i32 = 19;  // features of type UNKNOWN (0): "decoders MAY ignore" them
export const COUNT: i32 = 20;

/** The counters' names, in order: the property keys of the report. */
export function name(i: i32): string {
  switch (i) {
    case UNKNOWN_FIELD: return "unknown_field";
    case REPEATED_FIELD: return "repeated_field";
    case LAYER_WITHOUT_NAME: return "layer_without_name";
    case LAYER_WITHOUT_VERSION: return "layer_without_version";
    case LAYER_VERSION_UNKNOWN: return "layer_version_unknown";
    case INVALID_UTF8: return "invalid_utf8";
    case LAYER_REPLACED: return "layer_replaced";
    case TAG_OUT_OF_RANGE: return "tag_out_of_range";
    case TAG_KEY_REPEATED: return "tag_key_repeated";
    case FEATURE_WITHOUT_TYPE: return "feature_without_type";
    case GEOMETRY_TYPE_UNKNOWN: return "geometry_type_unknown";
    case FEATURE_WITHOUT_GEOMETRY: return "feature_without_geometry";
    case COMMAND_UNKNOWN: return "command_unknown";
    case GEOMETRY_EMPTY: return "geometry_empty";
    case COMMAND_OUT_OF_ORDER: return "command_out_of_order";
    case COMMAND_COUNT: return "command_count";
    case ZERO_LENGTH_SEGMENT: return "zero_length_segment";
    case EXTERIOR_RING_WINDING: return "exterior_ring_winding";
    case ZERO_AREA_RING_DROPPED: return "zero_area_ring_dropped";
    case UNKNOWN_TYPE_SKIPPED: return "unknown_type_skipped";
  }
  return "";
}

/** strict mode: refuse every violation (rules 0..17) instead of counting it */
export let strict: bool = false;

let counters: usize = 0;
// a copy to roll back to: a feature that turns out to be skipped keeps none of its geometry's counts
let saved: usize = 0;

export function reset(strictMode: bool): void {
  strict = strictMode;
  counters = alloc(<usize>COUNT << 2, 8);
  saved = alloc(<usize>COUNT << 2, 8);
  memory.fill(counters, 0, <usize>COUNT << 2);
}

// @ts-ignore: decorator
@inline export function note(rule: i32, n: u32 = 1): void {
  const at = counters + (<usize>rule << 2);
  store<u32>(at, load<u32>(at) + n);
}

export function get(rule: i32): u32 {
  return load<u32>(counters + (<usize>rule << 2));
}

export function save(): void {
  memory.copy(saved, counters, <usize>COUNT << 2);
}

export function restore(): void {
  memory.copy(counters, saved, <usize>COUNT << 2);
}
