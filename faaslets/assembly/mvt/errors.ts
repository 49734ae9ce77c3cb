// What mvt-decode can find wrong with a tile: a code plus up to two numbers, turned into text only once,
// after the scan has stopped. Keeping message building out of the readers keeps their hot paths free of
// string temporaries (and of the shadow-stack frames AssemblyScript adds for them).

// protobuf level
export const E_VARINT_PAST_END = 1;
export const E_VARINT_TOO_LONG = 2;
export const E_U32_OVERFLOW = 3;        // a: value
export const E_LENGTH_PAST_END = 4;     // a: length, b: bytes left
export const E_BAD_FIELD_KEY = 5;       // a: key
export const E_UNKNOWN_WIRE = 6;        // a: wire type
export const E_FIXED_PAST_END = 7;
export const E_WIRE_MISMATCH = 8;       // a: FIELD_*, b: wire type found
// tile and layers
export const E_UNKNOWN_TILE_FIELD = 10; // a: field
export const E_UNKNOWN_LAYER_FIELD = 11;
export const E_DUP_NAME = 12;
export const E_NO_NAME = 13;
export const E_NAME_UTF8 = 14;
export const E_DUP_LAYER_NAME = 15;
export const E_DUP_VERSION = 16;
export const E_NO_VERSION = 17;
export const E_BAD_VERSION = 18;        // a: version
export const E_DUP_EXTENT = 19;
export const E_EXTENT_ZERO = 20;
export const E_KEY_UTF8 = 21;           // a: key index
export const E_VALUE_UTF8 = 22;         // a: value index
export const E_VALUE_UNKNOWN_FIELD = 23; // a: value index, b: field
export const E_VALUE_FIELD_COUNT = 24;  // a: value index, b: fields found
export const E_STRINGS_TOO_BIG = 25;
// features
export const E_UNKNOWN_FEATURE_FIELD = 30; // a: field
export const E_DUP_ID = 31;
export const E_DUP_TAGS = 32;
export const E_DUP_TYPE = 33;
export const E_DUP_GEOMETRY = 34;
export const E_NO_TYPE = 35;
export const E_NO_GEOMETRY = 36;
export const E_BAD_TYPE = 37;           // a: type
export const E_ODD_TAGS = 38;
export const E_KEY_RANGE = 39;          // a: key index, b: keys in the layer
export const E_VALUE_RANGE = 40;        // a: value index, b: values in the layer
export const E_KEY_REPEATED = 41;       // a: key index
export const E_EMPTY_GEOMETRY = 42;
// geometry commands
export const E_COUNT_TOO_BIG = 50;      // a: command count, b: bytes left
export const E_POINT_START = 51;        // a: command id
export const E_POINT_TRAILING = 52;
export const E_MOVETO_COUNT_ZERO = 53;
export const E_EXPECT_MOVETO = 54;      // a: command id found, b: geometry type
export const E_MOVETO_COUNT = 55;       // a: count, b: geometry type
export const E_NO_LINETO = 56;          // b: geometry type
export const E_EXPECT_LINETO = 57;      // a: command id found, b: geometry type
export const E_LINETO_COUNT = 58;       // a: count, b: geometry type
export const E_ZERO_SEGMENT = 59;
export const E_NOT_CLOSED = 60;
export const E_EXPECT_CLOSEPATH = 61;   // a: command id found
export const E_CLOSEPATH_COUNT = 62;    // a: count
export const E_RING_REPEATS_FIRST = 63;
export const E_FIRST_RING_INTERIOR = 64;
export const E_INTERNAL = 70;

// fields whose wire type is checked (E_WIRE_MISMATCH's a)
export const FIELD_TILE_LAYER = 1;
export const FIELD_LAYER_NAME = 2;
export const FIELD_LAYER_FEATURE = 3;
export const FIELD_LAYER_KEY = 4;
export const FIELD_LAYER_VALUE = 5;
export const FIELD_LAYER_EXTENT = 6;
export const FIELD_LAYER_VERSION = 7;
export const FIELD_FEATURE_ID = 8;
export const FIELD_FEATURE_TAGS = 9;
export const FIELD_FEATURE_TYPE = 10;
export const FIELD_FEATURE_GEOMETRY = 11;
export const FIELD_STRING_VALUE = 12;
export const FIELD_FLOAT_VALUE = 13;
export const FIELD_DOUBLE_VALUE = 14;
export const FIELD_INT_VALUE = 15;
export const FIELD_UINT_VALUE = 16;
export const FIELD_SINT_VALUE = 17;
export const FIELD_BOOL_VALUE = 18;

function fieldName(f: u64): string {
  switch (<i32>f) {
    case FIELD_TILE_LAYER: return "tile layer (field 3)";
    case FIELD_LAYER_NAME: return "layer name (field 1)";
    case FIELD_LAYER_FEATURE: return "layer feature (field 2)";
    case FIELD_LAYER_KEY: return "layer key (field 3)";
    case FIELD_LAYER_VALUE: return "layer value (field 4)";
    case FIELD_LAYER_EXTENT: return "layer extent (field 5)";
    case FIELD_LAYER_VERSION: return "layer version (field 15)";
    case FIELD_FEATURE_ID: return "feature id (field 1)";
    case FIELD_FEATURE_TAGS: return "feature tags (field 2)";
    case FIELD_FEATURE_TYPE: return "feature type (field 3)";
    case FIELD_FEATURE_GEOMETRY: return "feature geometry (field 4)";
    case FIELD_STRING_VALUE: return "string_value (field 1)";
    case FIELD_FLOAT_VALUE: return "float_value (field 2)";
    case FIELD_DOUBLE_VALUE: return "double_value (field 3)";
    case FIELD_INT_VALUE: return "int_value (field 4)";
    case FIELD_UINT_VALUE: return "uint_value (field 5)";
    case FIELD_SINT_VALUE: return "sint_value (field 6)";
    case FIELD_BOOL_VALUE: return "bool_value (field 7)";
  }
  return "field";
}

/** The wire type each checked field must have. */
export function fieldWire(f: u32): u32 {
  switch (<i32>f) {
    case FIELD_LAYER_EXTENT: case FIELD_LAYER_VERSION: case FIELD_FEATURE_ID: case FIELD_FEATURE_TYPE:
    case FIELD_INT_VALUE: case FIELD_UINT_VALUE: case FIELD_SINT_VALUE: case FIELD_BOOL_VALUE:
      return 0;
    case FIELD_FLOAT_VALUE: return 5;
    case FIELD_DOUBLE_VALUE: return 1;
  }
  return 2;
}

function wireName(w: u64): string {
  if (w == 0) return "varint";
  if (w == 1) return "64-bit";
  if (w == 2) return "length-delimited";
  if (w == 5) return "32-bit";
  return "unknown wire type " + w.toString();
}

function commandName(id: u64): string {
  return id == 1 ? "MoveTo" : id == 2 ? "LineTo" : id == 7 ? "ClosePath" : "unknown command " + id.toString();
}

function geometryName(t: u64): string {
  return t == 1 ? "POINT" : t == 2 ? "LINESTRING" : "POLYGON";
}

export function describe(code: i32, a: u64, b: u64): string {
  const A = a.toString(), B = b.toString();
  switch (code) {
    case E_VARINT_PAST_END: return "a varint runs past the end of its message";
    case E_VARINT_TOO_LONG: return "a varint is longer than 64 bits";
    case E_U32_OVERFLOW: return "a 32-bit integer holds " + A;
    case E_LENGTH_PAST_END: return "a length of " + A + " bytes runs past the end of its message (" + B + " left)";
    case E_BAD_FIELD_KEY: return "invalid field key " + A;
    case E_UNKNOWN_WIRE: return wireName(a) + " (groups and types 6, 7 do not exist in a vector tile)";
    case E_FIXED_PAST_END: return "a fixed-size value runs past the end of its message";
    case E_WIRE_MISMATCH: return fieldName(a) + " must be " + wireName(fieldWire(<u32>a)) + ", found " + wireName(b);
    case E_UNKNOWN_TILE_FIELD: return "unknown tile field " + A;
    case E_UNKNOWN_LAYER_FIELD: return "unknown layer field " + A;
    case E_DUP_NAME: return "layer has two name fields";
    case E_NO_NAME: return "layer has no name field";
    case E_NAME_UTF8: return "layer name is not valid UTF-8";
    case E_DUP_LAYER_NAME: return "two layers have the same name";
    case E_DUP_VERSION: return "layer has two version fields";
    case E_NO_VERSION: return "layer has no version field";
    case E_BAD_VERSION: return "unsupported layer version " + A + " (1 or 2)";
    case E_DUP_EXTENT: return "layer has two extent fields";
    case E_EXTENT_ZERO: return "layer extent is 0";
    case E_KEY_UTF8: return "key " + A + " is not valid UTF-8";
    case E_VALUE_UTF8: return "value " + A + " is not valid UTF-8";
    case E_VALUE_UNKNOWN_FIELD: return "value " + A + " has unknown field " + B;
    case E_VALUE_FIELD_COUNT: return "value " + A + " holds " + B + " fields (must be exactly one)";
    case E_STRINGS_TOO_BIG: return "strings exceed 4 GiB";
    case E_UNKNOWN_FEATURE_FIELD: return "unknown feature field " + A;
    case E_DUP_ID: return "feature has two id fields";
    case E_DUP_TAGS: return "feature has two tags fields";
    case E_DUP_TYPE: return "feature has two type fields";
    case E_DUP_GEOMETRY: return "feature has two geometry fields";
    case E_NO_TYPE: return "feature has no type field";
    case E_NO_GEOMETRY: return "feature has no geometry field";
    case E_BAD_TYPE: return "unknown geometry type " + A;
    case E_ODD_TAGS: return "feature tags hold an odd number of integers";
    case E_KEY_RANGE: return "tag key index " + A + " is out of range (layer has " + B + " keys)";
    case E_VALUE_RANGE: return "tag value index " + A + " is out of range (layer has " + B + " values)";
    case E_KEY_REPEATED: return "tag key index " + A + " appears twice";
    case E_EMPTY_GEOMETRY: return "feature has an empty geometry";
    case E_COUNT_TOO_BIG: return "command count " + A + " needs " + (a * 2).toString() + " parameters, only " + B + " bytes are left";
    case E_POINT_START: return "POINT geometry starts with " + commandName(a) + ", not MoveTo";
    case E_POINT_TRAILING: return "POINT geometry has commands after its MoveTo";
    case E_MOVETO_COUNT_ZERO: return "MoveTo with command count 0";
    case E_EXPECT_MOVETO: return geometryName(b) + " expects MoveTo, found " + commandName(a);
    case E_MOVETO_COUNT: return geometryName(b) + " MoveTo has command count " + A + " (must be 1)";
    case E_NO_LINETO: return geometryName(b) + " MoveTo is not followed by LineTo";
    case E_EXPECT_LINETO: return geometryName(b) + " expects LineTo after MoveTo, found " + commandName(a);
    case E_LINETO_COUNT: return geometryName(b) + " LineTo has command count " + A + (b == 3 ? " (must be > 1)" : " (must be > 0)");
    case E_ZERO_SEGMENT: return "LineTo with dX = dY = 0 (zero-length segment)";
    case E_NOT_CLOSED: return "POLYGON ring is not closed by ClosePath";
    case E_EXPECT_CLOSEPATH: return "POLYGON ring expects ClosePath after LineTo, found " + commandName(a);
    case E_CLOSEPATH_COUNT: return "ClosePath has command count " + A + " (must be 1)";
    case E_RING_REPEATS_FIRST: return "POLYGON ring repeats its first point before ClosePath";
    case E_FIRST_RING_INTERIOR: return "POLYGON starts with an interior ring (negative area): exterior rings must be clockwise in tile coordinates";
    case E_INTERNAL: return "internal error: ring flags overflow";
  }
  return "error " + code.toString();
}
