// Pass 1 for a feature the strict scan refused, in lenient mode: the feature read as @mapbox/vector-tile 3
// reads it, every spec violation counted (mvt/repairs.ts).
//
//   fields    unknown ones (or known ones with another wire type) skipped; of repeated id, type and geometry
//             the last wins; every tags field is read
//   tags      a pair whose key or value index is out of range is dropped (@mapbox/vector-tile would make a
//             property "undefined", or one whose value is undefined); of a repeated key the later value wins,
//             in the first one's place. An odd number of integers is refused (it reads past the tags).
//   skipped   no geometry, no type, or a type other than 1..3: toGeoJSON throws on such a feature, and so it
//             does on a command id other than MoveTo, LineTo, ClosePath
//   geometry  the strict grammar first (fast, and the same result when it holds); if it does not, the
//             commands as loadGeometry reads them (mvt/commands.ts), rings classified by classifyRings
import * as C from "./repairs";
import * as E from "./errors";
import * as G from "./commands";
import * as R from "./reader";
import * as S from "./scan";

export function scanFeatureLenient(s: usize, e: usize): void {
  let hasId = false, hasType = false, hasGeometry = false;
  let type: u64 = 0;
  let id: f64 = NaN;
  let geomStart: usize = 0, geomEnd: usize = 0;
  let tagsFields: u32 = 0, pairs: u32 = 0;
  let tagsAt: usize = 0, tagsEnd: usize = 0;
  let tagsIrregular = false;
  const serial = S.nextSerial();
  let p = s;
  while (p < e) {
    let r = R.u32At(p, e); p += <usize>(r >>> 32);
    const key = <u32>r;
    if (R.failed) return;
    if (key == S.KEY_TAGS) {
      if (tagsFields++ > 0) C.note(C.REPEATED_FIELD);
      r = R.lengthAt(p, e); p += <usize>(r >>> 32);
      const te = p + <usize><u32>r;
      tagsAt = p;
      tagsEnd = te;
      while (p < te) {
        r = R.u32At(p, te); p += <usize>(r >>> 32);
        const k = <u32>r;
        if (p >= te && !R.failed) return failAt(p, e, E.E_ODD_TAGS);
        r = R.u32At(p, te); p += <usize>(r >>> 32);
        const v = <u32>r;
        if (R.failed) return;
        if (k >= S.layerKeys || v >= S.layerValues) {
          C.note(C.TAG_OUT_OF_RANGE);
          tagsIrregular = true;
          continue;
        }
        const stamp = S.keyStamp + (<usize>k << 2);
        if (load<u32>(stamp) == serial) {
          C.note(C.TAG_KEY_REPEATED);
          tagsIrregular = true;
          continue;
        }
        store<u32>(stamp, serial);
        pairs++;
      }
    } else if (key == S.KEY_GEOMETRY) {
      if (hasGeometry) C.note(C.REPEATED_FIELD);
      hasGeometry = true;
      r = R.lengthAt(p, e); p += <usize>(r >>> 32);
      geomStart = p;
      geomEnd = p + <usize><u32>r;
      p = geomEnd;
    } else if (key == S.KEY_TYPE) {
      if (hasType) C.note(C.REPEATED_FIELD);
      hasType = true;
      R.pos = p;
      type = R.readVarint(e);
      p = R.pos;
    } else if (key == S.KEY_ID) {
      if (hasId) C.note(C.REPEATED_FIELD);
      hasId = true;
      R.pos = p;
      id = <f64>R.readVarint(e);
      p = R.pos;
    } else {
      C.note(C.UNKNOWN_FIELD);
      R.pos = p;
      R.skip(key & 7, e);
      p = R.pos;
    }
    if (R.failed) return;
  }
  R.pos = e;
  // in toGeoJSON's order: loadGeometry throws first, then the type check
  if (!hasGeometry) return C.note(C.FEATURE_WITHOUT_GEOMETRY);
  if (!hasType) return C.note(C.FEATURE_WITHOUT_TYPE);
  if (type == 0) return C.note(C.UNKNOWN_TYPE_SKIPPED);
  if (type > 3) return C.note(C.GEOMETRY_TYPE_UNKNOWN);

  let flags: u32 = 0;
  if (geomStart == geomEnd) {
    C.note(C.GEOMETRY_EMPTY);
    flags = S.FEATURE_LENIENT_GEOMETRY;
    if (type == 1) S.nRings += 1; // an empty MultiPoint keeps its one ring, empty
  } else {
    const flagsAt = S.ringFlagsLen;
    S.scanGeometry(<u32>type, geomStart, geomEnd);
    if (R.failed) {
      R.clear();
      S.ringFlagsLen = flagsAt;
      if (!scanCommands(<u32>type, geomStart, geomEnd)) {
        S.ringFlagsLen = flagsAt;
        return C.note(C.COMMAND_UNKNOWN);
      }
      if (R.failed) return;
      flags = S.FEATURE_LENIENT_GEOMETRY;
    }
  }
  if (tagsIrregular || tagsFields > 1) {
    // pass 2 reads every tags field of the message again, dropping and merging as here
    flags |= S.FEATURE_LENIENT_TAGS;
    tagsAt = s;
    tagsEnd = e;
  }
  S.addFeature(id, geomStart, geomEnd, tagsAt, tagsEnd, <u32>type, flags);
  S.nProps += pairs;
}

function failAt(p: usize, e: usize, code: i32): void {
  R.pos = p;
  R.fail(e, code);
}

/**
 * Counts the rings and coordinates of a geometry read as loadGeometry reads it, with the spec violations
 * it holds. False (and nothing counted) when it holds an unknown command: the feature is skipped.
 */
function scanCommands(type: u32, s: usize, e: usize): bool {
  C.save();
  G.begin(s, e, type, true);
  let ok: bool;
  if (type == 3) ok = scanRings();
  else {
    let rings: u32 = type == 1 ? 1 : 0, coords: u32 = 0;
    let inLine = false;
    ok = true;
    while (true) {
      const ev = G.next();
      if (ev == G.END) break;
      if (ev == G.UNKNOWN) {
        ok = false;
        break;
      }
      if (ev == G.MOVE_TO) {
        coords++;
        if (type == 2) rings++;
        inLine = true;
      } else if (type == 2 && inLine) {
        coords++; // LineTo, or ClosePath repeating the line's first point
      }
    }
    if (ok) {
      S.nRings += rings;
      S.nCoords += coords;
    }
  }
  if (!ok) C.restore();
  return ok;
}

/** Polygon rings: their coordinates, signed areas and classifyRings's flags (see scanPolygons in mvt/scan.ts). */
function scanRings(): bool {
  const first = S.ringFlagsLen;
  let rings: u32 = 0, kept: u32 = 0, keptCoords: u32 = 0, firstCoords: u32 = 0;
  let orientation: i32 = 0;
  let inRing = false;
  let n: u32 = 0;
  let area: f64 = 0;
  let x0: i64 = 0, y0: i64 = 0, px: i64 = 0, py: i64 = 0;
  while (true) {
    const ev = G.next();
    if (ev == G.LINE_TO || ev == G.CLOSE_PATH) {
      if (!inRing) continue;
      const x = ev == G.LINE_TO ? G.x : x0, y = ev == G.LINE_TO ? G.y : y0;
      area += (<f64>px - <f64>x) * (<f64>y + <f64>py);
      px = x;
      py = y;
      n++;
      continue;
    }
    if (ev == G.UNKNOWN) return false;
    if (inRing) {
      // signedArea's term for the last point back to the first (0 for a ring ClosePath closed); signedArea
      // adds it first, which gives the same sum while coordinates stay below 2^26
      area += (<f64>px - <f64>x0) * (<f64>y0 + <f64>py);
      let flag: u8 = 0;
      if (area != 0) {
        const sign: i32 = area < 0 ? -1 : 1;
        if (orientation == 0) {
          orientation = sign;
          if (sign < 0 && S.layerVersion == 2) C.note(C.EXTERIOR_RING_WINDING);
        }
        flag = sign == orientation ? S.RING_KEEP | S.RING_NEW_POLYGON : S.RING_KEEP;
      }
      if (S.ringFlagsLen >= S.ringFlagsCap) {
        R.fail(R.pos, E.E_INTERNAL);
        return true;
      }
      store<u8>(S.ringFlags + S.ringFlagsLen++, flag);
      if (rings == 0) firstCoords = n;
      rings++;
      if (flag != 0) {
        kept++;
        keptCoords += n;
      }
    }
    if (ev == G.END) break;
    inRing = true; // MOVE_TO
    n = 1;
    area = 0;
    x0 = px = G.x;
    y0 = py = G.y;
  }
  if (R.failed) return true;
  if (rings == 1) {
    store<u8>(S.ringFlags + first, S.RING_KEEP | S.RING_NEW_POLYGON);
    kept = 1;
    keptCoords = firstCoords;
  } else if (kept < rings) {
    C.note(C.ZERO_AREA_RING_DROPPED, rings - kept);
  }
  S.nRings += kept;
  S.nCoords += keptCoords;
  return true;
}
