// Pass 2 for the features pass 1 read leniently (mvt/scan-lenient.ts): geometry as @mapbox/vector-tile 3's
// loadGeometry + toGeoJSON make it, properties with the same drops and merges pass 1 counted.
import {
  GEOM_LINESTRING, GEOM_MULTILINESTRING, GEOM_MULTIPOINT, GEOM_MULTIPOLYGON, GEOM_POINT, GEOM_POLYGON,
} from "../../abi/layout";
import { alloc } from "../lib/ctx";
import * as G from "./commands";
import * as R from "./reader";
import * as S from "./scan";
import * as W from "./write";

/** Writes the geometry [s, e) of a feature of type 1..3; returns its GeoJSON type. */
export function writeGeometry(type: u32, s: usize, e: usize): u32 {
  G.begin(s, e, type, false);
  if (type == 1) return writePoints();
  if (type == 2) return writeLines();
  return writeRings();
}

/** toGeoJSON: the first point of every line, i.e. every MoveTo point. */
function writePoints(): u32 {
  const start = W.nCoords;
  while (true) {
    const ev = G.next();
    if (ev == G.END || ev == G.UNKNOWN) break;
    if (ev == G.MOVE_TO) W.addCoord(G.x, G.y);
  }
  const n = W.nCoords - start;
  W.addRing(start, n, 0);
  return n == 1 ? GEOM_POINT : GEOM_MULTIPOINT;
}

function writeLines(): u32 {
  let lines: u32 = 0, start: u32 = 0;
  let inLine = false;
  let fx: i64 = 0, fy: i64 = 0;
  while (true) {
    const ev = G.next();
    if (ev == G.END || ev == G.UNKNOWN) break;
    if (ev == G.MOVE_TO) {
      if (inLine) W.addRing(start, W.nCoords - start, lines++);
      start = W.nCoords;
      fx = G.x;
      fy = G.y;
      W.addCoord(fx, fy);
      inLine = true;
    } else if (inLine) {
      if (ev == G.LINE_TO) W.addCoord(G.x, G.y);
      else W.addCoord(fx, fy); // ClosePath repeats the first point
    }
  }
  if (inLine) W.addRing(start, W.nCoords - start, lines++);
  return lines == 1 ? GEOM_LINESTRING : GEOM_MULTILINESTRING;
}

/** Polygon rings with pass 1's classifyRings flags: zero-area rings among several are left out. */
function writeRings(): u32 {
  let rings: u32 = 0, polygons: u32 = 0, start: u32 = 0;
  let inRing = false, keep = false;
  let fx: i64 = 0, fy: i64 = 0;
  while (true) {
    const ev = G.next();
    const done = ev == G.END || ev == G.UNKNOWN;
    if (done || ev == G.MOVE_TO) {
      if (inRing && keep) W.addRing(start, W.nCoords - start, polygons - 1);
      if (done) break;
      const flag = W.nextRingFlag();
      keep = flag != 0;
      if (flag & S.RING_NEW_POLYGON) polygons++;
      rings++;
      start = W.nCoords;
      fx = G.x;
      fy = G.y;
      if (keep) W.addCoord(fx, fy);
      inRing = true;
    } else if (inRing && keep) {
      if (ev == G.LINE_TO) W.addCoord(G.x, G.y);
      else W.addCoord(fx, fy);
    }
  }
  // classifyRings([]) is [[]]: a geometry without rings is an empty Polygon
  return rings == 0 || polygons == 1 ? GEOM_POLYGON : GEOM_MULTIPOLYGON;
}

// properties: per key index, the stamp of the feature that last wrote it and the property it wrote
let keySeen: usize = 0;
let keySlot: usize = 0;
let keyCap: u32 = 0;
let serial: u32 = 0;

/** Forgets the previous invocation's tables (top-level variables outlive it; its memory does not). */
export function reset(): void {
  keyCap = 0;
  serial = 0;
}

/**
 * The properties of every tags field of the feature message [s, e): pairs out of range dropped, a repeated
 * key's later value written over the first one's.
 */
export function writeProps(s: usize, e: usize): void {
  if (keyCap < S.maxKeys) {
    keyCap = S.maxKeys;
    keySeen = alloc(<usize>keyCap << 2, 8);
    keySlot = alloc(<usize>keyCap << 2, 8);
    memory.fill(keySeen, 0, <usize>keyCap << 2);
  }
  serial++;
  R.pos = s;
  while (R.pos < e) {
    const key = R.readTag(e);
    if (key != S.KEY_TAGS) {
      R.skip(key & 7, e);
      continue;
    }
    const te = R.readLengthEnd(e);
    let p = R.pos;
    while (p < te) {
      let r = R.u32At(p, te); p += <usize>(r >>> 32);
      const k = <u32>r;
      r = R.u32At(p, te); p += <usize>(r >>> 32);
      const v = <u32>r;
      if (k >= W.layerKeys || v >= W.layerValues) continue;
      const seen = keySeen + (<usize>k << 2), slot = keySlot + (<usize>k << 2);
      if (load<u32>(seen) == serial) {
        W.setProp(load<u32>(slot), <usize>v);
      } else {
        store<u32>(seen, serial);
        store<u32>(slot, W.nProps);
        W.addProp(<usize>k, <usize>v);
      }
    }
    R.pos = te;
  }
}
