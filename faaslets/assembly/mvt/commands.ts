// A geometry's commands read the way @mapbox/vector-tile 3's loadGeometry reads them, one event at a time,
// for lenient mode: pass 1 (counting = true) classifies rings and counts what breaks the spec's command
// grammar; pass 2 reads the same events again to write them.
//
// loadGeometry's rules, which the events follow:
//   - a command of count 0 is ignored; one whose id is not MoveTo, LineTo or ClosePath ends the geometry
//     with an error (the caller skips the feature)
//   - a count of 2^28 or more reads as 1 (loadGeometry's `cmdLen >> 3` is a signed 32-bit shift)
//   - a count larger than the parameters left ends with the geometry, if that ends between two pairs (the
//     first pair after a header is read whatever is left: a header that ends the geometry is refused)
//   - every MoveTo point starts a new line; LineTo and ClosePath before the first MoveTo are lost
//   - ClosePath repeats the line's first point and leaves the cursor where it is
// One departure: a ClosePath of count n > 1 repeats the first point once, where loadGeometry repeats it
// n times (unless it ends the geometry) — n up to 2^28 from 5 bytes of tile would otherwise be honoured.
// A geometry that ends inside a coordinate pair is refused (E_COUNT_TOO_BIG): loadGeometry would read
// the missing parameter from whatever bytes follow the geometry.
import * as E from "./errors";
import * as R from "./reader";
import * as C from "./repairs";

export const END: i32 = 0;
export const MOVE_TO: i32 = 1;
export const LINE_TO: i32 = 2;
export const CLOSE_PATH: i32 = 7;
export const UNKNOWN: i32 = -1;

/** the cursor after the last event (ClosePath does not move it) */
export let x: i64 = 0;
export let y: i64 = 0;

let p: usize = 0;
let e: usize = 0;
let id: u32 = 1;
let left: u32 = 0;
let geomType: u32 = 0;
let counting = false;
// for E_COUNT_TOO_BIG's message: the current command's count and the bytes left after its header
let count: u32 = 0;
let bytesLeft: usize = 0;

// the spec's grammar, followed only to count what breaks it
const EXPECT_MOVETO: i32 = 0;
const EXPECT_LINETO: i32 = 1;
const EXPECT_CLOSEPATH: i32 = 2;
let state: i32 = 0; // EXPECT_MOVETO (an initialiser naming a constant would need a start function)
let seen = false;
let ringX: i64 = 0;
let ringY: i64 = 0;

/** Starts reading the geometry [s, end) of a feature of type `type` (1 POINT, 2 LINESTRING, 3 POLYGON). */
export function begin(s: usize, end: usize, type: u32, countRules: bool): void {
  p = s;
  e = end;
  id = 1;
  left = 0;
  x = 0;
  y = 0;
  geomType = type;
  counting = countRules;
  state = EXPECT_MOVETO;
  seen = false;
}

/** The next event: MOVE_TO or LINE_TO (x, y moved), CLOSE_PATH, UNKNOWN, or END (also after an error: R.failed). */
export function next(): i32 {
  while (p < e) {
    if (left == 0) {
      const r = R.u32At(p, e);
      p += <usize>(r >>> 32);
      if (R.failed) return END;
      const header = <u32>r;
      id = header & 7;
      count = header >> 3;
      bytesLeft = e - p;
      left = header >= 0x80000000 ? 1 : count;
      if (left == 0) {
        if (counting) C.note(C.COMMAND_COUNT);
        continue;
      }
      if (id != 1 && id != 2 && id != 7) return UNKNOWN;
      if (counting) checkHeader(header >= 0x80000000);
      if (id == 7) left = 1;
    }
    left--;
    if (id == 7) return CLOSE_PATH;
    if (p >= e) {
      // a header that ends the geometry: loadGeometry reads its first pair all the same, from what follows
      R.pos = p;
      R.fail(e, E.E_COUNT_TOO_BIG, count, 0);
      return END;
    }
    let r = R.u32At(p, e);
    p += <usize>(r >>> 32);
    const dx = <u32>r;
    if (p >= e && !R.failed) {
      R.pos = p;
      R.fail(e, E.E_COUNT_TOO_BIG, count, bytesLeft);
    }
    r = R.u32At(p, e);
    p += <usize>(r >>> 32);
    if (R.failed) return END;
    const dy = <u32>r;
    x += R.zigzag32(dx);
    y += R.zigzag32(dy);
    if (id == 1) {
      ringX = x;
      ringY = y;
    } else if (counting && (dx | dy) == 0 && geomType != 1) {
      C.note(C.ZERO_LENGTH_SEGMENT);
    }
    return <i32>id;
  }
  if (counting) checkEnd();
  return END;
}

/** Counts how a command header breaks the grammar of its geometry type (one rule per header at most per kind). */
function checkHeader(wrapped: bool): void {
  if (wrapped) C.note(C.COMMAND_COUNT);
  if (geomType == 1) {
    // POINT: one MoveTo, nothing after it
    if (id != 1 || seen) C.note(C.COMMAND_OUT_OF_ORDER);
    seen = true;
    return;
  }
  if (id == 1) {
    if (state != EXPECT_MOVETO) C.note(C.COMMAND_OUT_OF_ORDER);
    if (count != 1 && !wrapped) C.note(C.COMMAND_COUNT);
    state = EXPECT_LINETO;
  } else if (id == 2) {
    if (state != EXPECT_LINETO) C.note(C.COMMAND_OUT_OF_ORDER);
    if (geomType == 3 && count < 2 && !wrapped) C.note(C.COMMAND_COUNT);
    state = geomType == 3 ? EXPECT_CLOSEPATH : EXPECT_MOVETO;
  } else {
    if (geomType == 2 || state != EXPECT_CLOSEPATH) C.note(C.COMMAND_OUT_OF_ORDER);
    else if (x == ringX && y == ringY) C.note(C.ZERO_LENGTH_SEGMENT); // the ring returned to its start by LineTo
    if (count != 1 && !wrapped) C.note(C.COMMAND_COUNT);
    state = EXPECT_MOVETO;
  }
}

function checkEnd(): void {
  if (left > 0) C.note(C.COMMAND_COUNT); // the count promised more than the geometry holds
  if (geomType == 2 && state == EXPECT_LINETO) C.note(C.COMMAND_OUT_OF_ORDER);
  if (geomType == 3 && state != EXPECT_MOVETO) C.note(C.COMMAND_OUT_OF_ORDER);
}
