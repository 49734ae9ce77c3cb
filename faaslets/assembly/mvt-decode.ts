// mvt-decode: a Mapbox Vector Tile (2.1) → a FEATURES region in EPSG:4326, equal to @mapbox/vector-tile 3's
// toGeoJSON(x, y, z) of every feature of every layer, and a second FEATURES region, "repairs", counting
// what it tolerated or dropped (mvt/report.ts). Renderers read tiles through @mapbox/vector-tile, so by
// default so does this: a spec violation it reads past is read the same way and counted (mvt/repairs.ts
// has the rules). With `strict` it is a validator instead: a tile that breaks the spec is refused with
// STATUS_MALFORMED_INPUT and a message saying what is wrong and where — no partial output. Both modes
// refuse what @mapbox/vector-tile cannot read either (broken protobuf, a value it throws on, an extent of
// 0, tags or coordinates that run past their field).
//
// Two passes over the tile, no growth or copying:
//   1. mvt/scan.ts   validates everything and counts features, rings, coordinates, properties and strings
//                    (mvt/scan-lenient.ts: a feature read leniently)
//   2. mvt/write.ts  writes straight into the one region of exactly that size (mvt/write-lenient.ts)
//
// Choices where the spec leaves room (tests/faaslets/mvt-decode.test.ts pins each one):
//   - UNKNOWN (0) geometry type: the feature is skipped ("decoders MAY ignore" it); strict mode refuses a
//     missing type field ("a feature MUST contain a type field").
//   - Strict mode checks geometry against the 2.1 command grammar for every layer, version 1 or 2; polygon
//     winding (first ring exterior, positive area) only for version 2 layers, since version 1 never
//     specified it. Lenient mode judges every ring against the first one's winding, as classifyRings does.
//   - Zero-area rings are kept or dropped exactly as classifyRings does (they are a SHOULD NOT).
//   - Unknown fields: extensions of Tile (16..8191) and Layer (16+) are skipped; strict mode refuses
//     anything else unknown, in Feature or Value too, repeated singular fields (name, version, extent, id,
//     type, tags, geometry) and duplicated layer names.
//   - Not checked: ring self-intersection and hole containment (a MUST, but not checkable in linear time).
//
// Output strings, in tile order: each layer's name, then its keys, then its string values.
import { enter, fail, inputCount, inputLen, inputPtr, output, param } from "./lib/ctx";
import { byteLength, check, count, create, data, sectionCount, section, setExtent, setTile } from "./lib/region";
import {
  ABI_VERSION, COORD_STRIDE, FEATURE_STRIDE, HEADER_SIZE, KIND_FEATURES, KIND_MVT, PROP_STRIDE, RING_STRIDE,
  SEC_COORDS, SEC_MAIN, SEC_PROPS, SEC_RINGS, SEC_STRINGS, STATUS_BAD_INPUT_KIND, STATUS_BAD_PARAM,
  STATUS_INTERNAL, STATUS_MALFORMED_INPUT, STATUS_OK, STATUS_TOO_LARGE,
} from "../abi/layout";
import * as E from "./mvt/errors";
import * as R from "./mvt/reader";
import * as C from "./mvt/repairs";
import { writeReport } from "./mvt/report";
import * as S from "./mvt/scan";
import * as W from "./mvt/write";

const MAX_REGION_BYTES: u64 = 0x7fff0000;

export function gr_abi_version(): i32 { return ABI_VERSION; }

export function gr_run(ctx: usize): i32 {
  enter(ctx);
  if (inputCount(ctx) != 1) return fail(ctx, STATUS_BAD_INPUT_KIND, "mvt-decode takes one mvt region");
  const r = inputPtr(ctx, 0);
  const why = check(r, inputLen(ctx, 0), KIND_MVT, [1]);
  if (why.length > 0) return fail(ctx, STATUS_BAD_INPUT_KIND, why);
  if (count(r) != sectionCount(r, SEC_MAIN)) return fail(ctx, STATUS_BAD_INPUT_KIND, "mvt region count disagrees with its byte table");

  const zf = param(ctx, 0), xf = param(ctx, 1), yf = param(ctx, 2);
  if (!(zf >= 0 && zf <= 30 && zf == Math.floor(zf))) return fail(ctx, STATUS_BAD_PARAM, "z must be an integer in [0, 30], got " + zf.toString());
  const n = Math.pow(2, zf);
  if (!(xf >= 0 && xf < n && xf == Math.floor(xf))) return fail(ctx, STATUS_BAD_PARAM, "x must be an integer in [0, 2^z), got " + xf.toString());
  if (!(yf >= 0 && yf < n && yf == Math.floor(yf))) return fail(ctx, STATUS_BAD_PARAM, "y must be an integer in [0, 2^z), got " + yf.toString());
  const z = <u32>zf, x = <u32>xf, y = <u32>yf;
  const strictParam = param(ctx, 3);
  if (strictParam != 0 && strictParam != 1) return fail(ctx, STATUS_BAD_PARAM, "strict must be 0 or 1, got " + strictParam.toString());
  C.reset(strictParam == 1);
  R.fieldZeroAllowed = !C.strict;

  const start = data(r);
  const end = start + <usize>count(r);
  S.scanTile(start, end);
  if (R.failed) return fail(ctx, STATUS_MALFORMED_INPUT, describeProblem());

  const stringsBytes = ((<u64>S.nStrings + 1) << 2) + <u64>S.nStringBytes;
  const sizes: u64[] = [
    <u64>S.nFeatures * FEATURE_STRIDE, <u64>S.nRings * RING_STRIDE, <u64>S.nCoords * COORD_STRIDE,
    <u64>S.nProps * PROP_STRIDE, stringsBytes,
  ];
  let total: u64 = HEADER_SIZE;
  for (let i = 0; i < sizes.length; i++) total += (sizes[i] + 7) & ~7;
  if (total > MAX_REGION_BYTES) return fail(ctx, STATUS_TOO_LARGE, "decoded tile needs " + total.toString() + " bytes");

  const out = create(KIND_FEATURES, S.nFeatures, FEATURE_STRIDE, 4326, sizes, [S.nFeatures, S.nRings, S.nCoords, S.nProps, S.nStrings]);
  setTile(out, <i32>z, x, y);
  W.setOutput(
    section(out, SEC_MAIN), section(out, SEC_RINGS), section(out, SEC_COORDS), section(out, SEC_PROPS), section(out, SEC_STRINGS),
    S.nFeatures, S.nRings, S.nCoords, S.nProps, S.nStrings, S.nStringBytes,
  );
  W.writeTile(z, x, y);
  if (!W.complete()) return fail(ctx, STATUS_INTERNAL, "pass 2 disagrees with the counts of pass 1");
  if (S.nCoords > 0) setExtent(out, W.minX, W.minY, W.maxX, W.maxY);
  const report = writeReport(<i32>z, x, y);
  output(ctx, out, <usize>byteLength(out));
  output(ctx, report, <usize>byteLength(report));
  return STATUS_OK;
}

/** "what is wrong (layer 2 "roads", feature 17, byte 1234)" */
function describeProblem(): string {
  let where = "";
  if (S.atLayer >= 0) {
    where = "layer " + S.atLayer.toString();
    if (S.atLayerNameLen > 0) where += " \"" + String.UTF8.decodeUnsafe(S.atLayerName, min<usize>(S.atLayerNameLen, 40)) + "\"";
    if (S.atFeature >= 0) where += ", feature " + S.atFeature.toString();
    where += ", ";
  }
  return E.describe(R.code, R.argA, R.argB) + " (" + where + "byte " + R.failedAt.toString() + ")";
}
