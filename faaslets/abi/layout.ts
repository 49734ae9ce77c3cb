// The one definition of graticule's binary layouts. This file is compiled twice — by asc into every
// AssemblyScript faaslet and by tsc into the host — so the offsets below cannot drift apart. Keep it to
// plain `export const NAME = <integer>` lines: both compilers must accept every line.
//
// ─── Arena (one shared WebAssembly.Memory per tenant) ───────────────────────────────────────────────
//
//   0 ─────────── 64 KiB ────────────────────────────── 8 MiB ─────────────────────────────── max
//   │ null guard │ static slots: slot k = [k·128 KiB,    │ chunk heap: 64 KiB chunks handed out  │
//   │ (unused)   │ (k+1)·128 KiB), a module's data       │ per invocation by the host allocator   │
//   │            │ segments + its shadow stack           │ (regions, contexts, faaslet scratch)   │
//
// ─── Region: every payload that crosses a stage boundary (8-byte aligned, little-endian) ────────────
//
//   off  type  field         meaning
//   ───  ────  ────────────  ─────────────────────────────────────────────────────────────────────
//     0  u32   magic         0x31525247 = "GRR1"
//     4  u16   version       REGION_VERSION
//     6  u16   kind          KIND_* below
//     8  u32   count         records in the main table (bytes, points, features, clusters, cells, pixels)
//    12  u32   stride        bytes per record of the main table
//    16  i32   crs           EPSG code of coordinates (4326, 3857, 326xx, 327xx, 3035); 0 = none
//    20  u32   byteLength    whole region, header included
//    24  u32   width         grid / image columns (0 otherwise)
//    28  u32   height        grid / image rows
//    32  i32   tileZ         tile the region belongs to, or -1
//    36  u32   tileX
//    40  u32   tileY
//    44  u32   aux           kind-specific: clusters → zoom; mvt → 0
//    48  f64   minX          extent in `crs` units (grid/image: the bounds of its cells);
//    56  f64   minY          NaN when unknown
//    64  f64   maxX
//    72  f64   maxY
//    80  u32×2 section[0]    {offset from region start, count}: the main table (offset = HEADER_SIZE)
//    88  u32×2 section[1]    features: rings        {coordStart u32, coordCount u32, part u32, member u32}
//    96  u32×2 section[2]    features: coordinates  {x f64, y f64}
//   104  u32×2 section[3]    features: properties   {key u32 (string), type u32, value f64}
//   112  u32×2 section[4]    features: strings      offsets u32[count+1] then UTF-8 bytes
//   120  u32×2 section[5]    reserved
//   128  ...   data          sections in order, each 8-byte aligned
//
//   Main-table records by kind (stride in bytes):
//     MVT       1   raw tile bytes (count = byte length)
//     POINTS   32   x f64, y f64, weight f64, id f64
//     FEATURES 32   id f64, geomType u32, layer u32 (string), ringStart u32, ringCount u32,
//                   propStart u32, propCount u32
//     CLUSTERS 40   x f64, y f64, count f64 (points inside), weight f64 (sum), id f64
//                   (count = 1 → id of the original point; else supercluster's cluster_id)
//     GRID    4|8   f32 cells (stride GRID_STRIDE) or f64 cells (GRID_STRIDE_F64: nothing rounded to
//                   f32, so grids summed cell by cell keep double precision), row-major from the
//                   top-left, width × height
//     IMAGE     4   RGBA u8 row-major from the top-left, width × height pixels
//
// ─── Invocation context: the host writes it, the faaslet reads inputs/params and writes the rest ────
//
//     0 u32 magic 0x58435247 "GRCX" │  4 u32 abiVersion │  8 u32 inputCount │ 12 u32 paramCount
//    16 u32 outputCount (faaslet)   │ 20 i32 status (faaslet) │ 24 u32 messageLength (faaslet) │ 28 -
//    32 inputs[8]  {ptr u32, len u32}           → 96
//    96 outputs[4] {ptr u32, len u32} (faaslet) → 128
//   128 params[16] f64, in manifest order       → 256
//   256 message[256] UTF-8 (faaslet, on error)  → 512

export const ABI_VERSION = 1;

// arena
export const PAGE_SIZE = 65536;
export const NULL_GUARD_BYTES = 65536;
export const STATIC_SLOT_BYTES = 131072;
export const STATIC_SLOT_FIRST = 1;
export const STATIC_SLOT_COUNT = 63;
export const HEAP_BASE = 8388608;
export const CHUNK_BYTES = 65536;

// region header
export const REGION_MAGIC = 0x31525247;
export const REGION_VERSION = 1;
export const HDR_MAGIC = 0;
export const HDR_VERSION = 4;
export const HDR_KIND = 6;
export const HDR_COUNT = 8;
export const HDR_STRIDE = 12;
export const HDR_CRS = 16;
export const HDR_BYTE_LENGTH = 20;
export const HDR_WIDTH = 24;
export const HDR_HEIGHT = 28;
export const HDR_TILE_Z = 32;
export const HDR_TILE_X = 36;
export const HDR_TILE_Y = 40;
export const HDR_AUX = 44;
export const HDR_MIN_X = 48;
export const HDR_MIN_Y = 56;
export const HDR_MAX_X = 64;
export const HDR_MAX_Y = 72;
export const HDR_SECTIONS = 80;
export const SECTION_BYTES = 8;
export const SECTION_COUNT = 6;
export const HEADER_SIZE = 128;

// region kinds
export const KIND_MVT = 1;
export const KIND_POINTS = 2;
export const KIND_FEATURES = 3;
export const KIND_CLUSTERS = 4;
export const KIND_GRID = 5;
export const KIND_IMAGE = 6;

// sections of a FEATURES region
export const SEC_MAIN = 0;
export const SEC_RINGS = 1;
export const SEC_COORDS = 2;
export const SEC_PROPS = 3;
export const SEC_STRINGS = 4;

// POINTS record
export const POINT_STRIDE = 32;
export const POINT_X = 0;
export const POINT_Y = 8;
export const POINT_WEIGHT = 16;
export const POINT_ID = 24;

// FEATURES records
export const FEATURE_STRIDE = 40;
export const FEATURE_ID = 0;
export const FEATURE_GEOM_TYPE = 8;
export const FEATURE_LAYER = 12;
export const FEATURE_RING_START = 16;
export const FEATURE_RING_COUNT = 20;
export const FEATURE_PROP_START = 24;
export const FEATURE_PROP_COUNT = 28;
export const FEATURE_ID_TYPE = 32;
export const RING_STRIDE = 16;
export const RING_COORD_START = 0;
export const RING_COORD_COUNT = 4;
export const RING_PART = 8;
export const RING_MEMBER = 12;
export const COORD_STRIDE = 16;
export const PROP_STRIDE = 16;
export const PROP_KEY = 0;
export const PROP_TYPE = 4;
export const PROP_VALUE = 8;

// geometry types (GeoJSON names; a ring's `part` groups rings into the polygons of a MultiPolygon).
// GEOM_NULL: `"geometry": null`, no rings. GEOM_COLLECTION: a GeometryCollection (not nested); each of its
// rings has part = the member's index and member = the member's geometry type + MEMBER_POLYGON × the
// polygon's index within a MultiPolygon member; a member with no rings (`[]`) keeps one empty ring with
// MEMBER_EMPTY added. Outside a collection a ring's member is 0.
export const GEOM_NULL = 0;
export const GEOM_POINT = 1;
export const GEOM_MULTIPOINT = 2;
export const GEOM_LINESTRING = 3;
export const GEOM_MULTILINESTRING = 4;
export const GEOM_POLYGON = 5;
export const GEOM_MULTIPOLYGON = 6;
export const GEOM_COLLECTION = 7;
export const MEMBER_EMPTY = 128;
export const MEMBER_POLYGON = 256;

// property value types (value f64 holds the number, 0/1, or the string index; PROP_JSON: an array or
// object property, its JSON text as a string index)
export const PROP_STRING = 1;
export const PROP_NUMBER = 2;
export const PROP_BOOL = 3;
export const PROP_NULL = 4;
export const PROP_JSON = 5;

// CLUSTERS record
export const CLUSTER_STRIDE = 40;
export const CLUSTER_X = 0;
export const CLUSTER_Y = 8;
export const CLUSTER_COUNT = 16;
export const CLUSTER_WEIGHT = 24;
export const CLUSTER_ID = 32;

// GRID and IMAGE (a grid's stride says its cells: f32 or f64)
export const GRID_STRIDE = 4;
export const GRID_STRIDE_F64 = 8;
export const IMAGE_STRIDE = 4;

// invocation context
export const CTX_MAGIC = 0x58435247;
export const CTX_BYTES = 512;
export const CTX_MAGIC_OFF = 0;
export const CTX_ABI_VERSION = 4;
export const CTX_INPUT_COUNT = 8;
export const CTX_PARAM_COUNT = 12;
export const CTX_OUTPUT_COUNT = 16;
export const CTX_STATUS = 20;
export const CTX_MESSAGE_LENGTH = 24;
export const CTX_INPUTS = 32;
export const CTX_MAX_INPUTS = 8;
export const CTX_OUTPUTS = 96;
export const CTX_MAX_OUTPUTS = 4;
export const CTX_PARAMS = 128;
export const CTX_MAX_PARAMS = 16;
export const CTX_MESSAGE = 256;
export const CTX_MESSAGE_MAX = 256;

// faaslet status codes (gr_run's return value and ctx.status); the host maps them to its error registry
export const STATUS_OK = 0;
export const STATUS_BAD_INPUT_KIND = 1;
export const STATUS_MALFORMED_INPUT = 2;
export const STATUS_BAD_PARAM = 3;
export const STATUS_UNSUPPORTED_CRS = 4;
export const STATUS_TOO_LARGE = 5;
export const STATUS_INTERNAL = 6;
