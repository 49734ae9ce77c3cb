// KDBush 4 (mourner) over Int32 coordinates, as supercluster uses it: a static kd-tree sorted in place
// by Floyd-Rivest selection. Same select/swap sequence and same stack-driven traversal, so the sorted
// order — and with it the order of every `within`/`range` result — is kdbush's exactly.
//
// Sorting works on 16-byte items {x i32, y i32, id u32, _} (one v128 per swap instead of kdbush's three
// scattered swaps); queries read the sorted result transposed into xs/ys/ids arrays, so a leaf is
// scanned four points per SIMD compare.
import { alloc } from "../lib/ctx";
import { exp, log } from "./fdlibm";

const ITEM: usize = 16;
/** u32 words of traversal stack: 3 per frame, ≤ tree height + 1 frames (kdbush's STACK has 96). */
const STACK_WORDS: usize = 96;

export class KDTree {
  /** unsorted input for `finish`: 16-byte items written by the caller */
  items: usize;
  xs: usize;
  ys: usize;
  ids: usize;
  stack: usize;
  numItems: i32 = 0;

  constructor(capacity: i32, public nodeSize: i32) {
    const cap = <usize>max<i32>(capacity, 1);
    this.items = alloc(cap * ITEM, 16);
    this.xs = alloc(cap << 2, 16);
    this.ys = alloc(cap << 2, 16);
    this.ids = alloc(cap << 2, 16);
    this.stack = alloc(STACK_WORDS << 2, 8);
  }

  /** Adds item i (kdbush's `add`: its id is its index). */
  // @ts-ignore: decorator
  @inline add(i: i32, x: i32, y: i32): void {
    const p = this.items + (<usize>i << 4);
    store<i32>(p, x);
    store<i32>(p, y, 4);
    store<u32>(p, <u32>i, 8);
  }

  /** Indexes the first n added items (kdbush's `finish`). */
  finish(n: i32): void {
    this.numItems = n;
    const items = this.items;
    sortKd(items, this.nodeSize, 0, n - 1, 0);
    for (let i = 0; i < n; i++) {
      const p = items + (<usize>i << 4);
      store<i32>(this.xs + (<usize>i << 2), load<i32>(p));
      store<i32>(this.ys + (<usize>i << 2), load<i32>(p, 4));
      store<u32>(this.ids + (<usize>i << 2), load<u32>(p, 8));
    }
  }
}

// @ts-ignore: decorator
@inline function coord(items: usize, i: i32, axis: i32): i32 { return load<i32>(items + (<usize>i << 4) + (<usize>axis << 2)); }

// @ts-ignore: decorator
@inline function swapItem(items: usize, i: i32, j: i32): void {
  const a = items + (<usize>i << 4);
  const b = items + (<usize>j << 4);
  const t = v128.load(a);
  v128.store(a, v128.load(b));
  v128.store(b, t);
}

function sortKd(items: usize, nodeSize: i32, left: i32, right: i32, axis: i32): void {
  if (right - left <= nodeSize) return;
  const m = (left + right) >> 1;
  select(items, m, left, right, axis);
  sortKd(items, nodeSize, left, m - 1, 1 - axis);
  sortKd(items, nodeSize, m + 1, right, 1 - axis);
}

function select(items: usize, k: i32, left: i32, right: i32, axis: i32): void {
  while (right > left) {
    if (right - left > 600) {
      const n = <f64>(right - left + 1);
      const m = <f64>(k - left + 1);
      const z = log(n);
      const s = 0.5 * exp(2 * z / 3);
      const sd = 0.5 * Math.sqrt(z * s * (n - s) / n) * (m - n / 2 < 0 ? -1.0 : 1.0);
      const newLeft = max<f64>(<f64>left, Math.floor(<f64>k - m * s / n + sd));
      const newRight = min<f64>(<f64>right, Math.floor(<f64>k + (n - m) * s / n + sd));
      select(items, k, <i32>newLeft, <i32>newRight, axis);
    }
    const t = coord(items, k, axis);
    let i = left;
    let j = right;
    swapItem(items, left, k);
    if (coord(items, right, axis) > t) swapItem(items, left, right);
    while (i < j) {
      swapItem(items, i, j);
      i++;
      j--;
      while (coord(items, i, axis) < t) i++;
      while (coord(items, j, axis) > t) j--;
    }
    if (coord(items, left, axis) == t) swapItem(items, left, j);
    else {
      j++;
      swapItem(items, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

// @ts-ignore: decorator
@inline function clampI32(v: f64): i32 { return v <= -2147483648.0 ? -2147483648 : v >= 2147483647.0 ? 2147483647 : <i32>v; }

/** Ids of the items within distance r of (qx, qy), written to `out` in kdbush order; returns the count. */
export function within(t: KDTree, qx: i32, qy: i32, r: f64, out: usize): i32 {
  const n = t.numItems;
  if (n == 0) return 0;
  const xs = t.xs, ys = t.ys, ids = t.ids, stack = t.stack, nodeSize = t.nodeSize;
  const fx = <f64>qx;
  const fy = <f64>qy;
  const r2 = r * r;
  // kdbush recomputes qx − r etc. per node; the values are the same each time
  const minX = fx - r, maxX = fx + r, minY = fy - r, maxY = fy + r;
  // leaves first reject by an integer box a little wider than the circle (f64 rounding can admit |dx|
  // a hair above r), four points at a time, then apply kdbush's exact f64 test to the survivors
  const slack = 1 + r * 1e-15;
  const boxX = clampI32(Math.floor(minX - slack));
  const boxY = clampI32(Math.floor(minY - slack));
  const spanX = clampI32(Math.ceil(maxX + slack)) - boxX;
  const spanY = clampI32(Math.ceil(maxY + slack)) - boxY;
  const boxX4 = i32x4.splat(boxX), boxY4 = i32x4.splat(boxY);
  const spanX4 = i32x4.splat(spanX), spanY4 = i32x4.splat(spanY);

  // kdbush pushes the left half, then the right half, and pops the right half next: the frame pushed
  // last is continued in locals instead, so the stack only holds the left halves still to visit
  let left = 0, right = n - 1, axis = 0;
  let sp: usize = 0;
  let count = 0;
  while (true) {
    if (right - left <= nodeSize) {
      let i = left;
      for (; i + 3 <= right; i += 4) {
        const off = <usize>i << 2;
        const inX = i32x4.le_u(i32x4.sub(v128.load(xs + off), boxX4), spanX4);
        const inY = i32x4.le_u(i32x4.sub(v128.load(ys + off), boxY4), spanY4);
        let bits = i32x4.bitmask(v128.and(inX, inY));
        while (bits != 0) {
          const j = i + ctz<i32>(bits);
          bits &= bits - 1;
          const dx = <f64>load<i32>(xs + (<usize>j << 2)) - fx;
          const dy = <f64>load<i32>(ys + (<usize>j << 2)) - fy;
          if (dx * dx + dy * dy <= r2) store<u32>(out + (<usize>(count++) << 2), load<u32>(ids + (<usize>j << 2)));
        }
      }
      for (; i <= right; i++) {
        const dx = <f64>load<i32>(xs + (<usize>i << 2)) - fx;
        const dy = <f64>load<i32>(ys + (<usize>i << 2)) - fy;
        if (dx * dx + dy * dy <= r2) store<u32>(out + (<usize>(count++) << 2), load<u32>(ids + (<usize>i << 2)));
      }
      if (sp == 0) break;
      axis = load<i32>(stack + ((--sp) << 2));
      right = load<i32>(stack + ((--sp) << 2));
      left = load<i32>(stack + ((--sp) << 2));
      continue;
    }

    const m = (left + right) >> 1;
    const x = <f64>load<i32>(xs + (<usize>m << 2));
    const y = <f64>load<i32>(ys + (<usize>m << 2));
    const dx = x - fx;
    const dy = y - fy;
    if (dx * dx + dy * dy <= r2) store<u32>(out + (<usize>(count++) << 2), load<u32>(ids + (<usize>m << 2)));
    const goLeft = axis == 0 ? minX <= x : minY <= y;
    const goRight = axis == 0 ? maxX >= x : maxY >= y;
    if (goRight) {
      if (goLeft) {
        store<i32>(stack + (sp << 2), left);
        store<i32>(stack + (sp << 2), m - 1, 4);
        store<i32>(stack + (sp << 2), 1 - axis, 8);
        sp += 3;
      }
      left = m + 1;
    } else if (goLeft) {
      right = m - 1;
    } else {
      if (sp == 0) break;
      axis = load<i32>(stack + ((--sp) << 2));
      right = load<i32>(stack + ((--sp) << 2));
      left = load<i32>(stack + ((--sp) << 2));
      continue;
    }
    axis = 1 - axis;
  }
  return count;
}

/** Appends the ids of the items inside [minX, maxX] × [minY, maxY] to out[count..]; returns the new count. */
export function range(t: KDTree, minX: f64, minY: f64, maxX: f64, maxY: f64, out: usize, count: i32): i32 {
  const n = t.numItems;
  if (n == 0) return count;
  const xs = t.xs, ys = t.ys, ids = t.ids, stack = t.stack, nodeSize = t.nodeSize;
  store<i32>(stack, 0);
  store<i32>(stack, n - 1, 4);
  store<i32>(stack, 0, 8);
  let sp: usize = 3;
  while (sp > 0) {
    const axis = load<i32>(stack + ((--sp) << 2));
    const right = load<i32>(stack + ((--sp) << 2));
    const left = load<i32>(stack + ((--sp) << 2));
    if (right - left <= nodeSize) {
      for (let i = left; i <= right; i++) {
        const x = <f64>load<i32>(xs + (<usize>i << 2));
        const y = <f64>load<i32>(ys + (<usize>i << 2));
        if (x >= minX && x <= maxX && y >= minY && y <= maxY) store<u32>(out + (<usize>(count++) << 2), load<u32>(ids + (<usize>i << 2)));
      }
      continue;
    }
    const m = (left + right) >> 1;
    const x = <f64>load<i32>(xs + (<usize>m << 2));
    const y = <f64>load<i32>(ys + (<usize>m << 2));
    if (x >= minX && x <= maxX && y >= minY && y <= maxY) store<u32>(out + (<usize>(count++) << 2), load<u32>(ids + (<usize>m << 2)));
    if (axis == 0 ? minX <= x : minY <= y) {
      store<i32>(stack + (sp << 2), left);
      store<i32>(stack + (sp << 2), m - 1, 4);
      store<i32>(stack + (sp << 2), 1 - axis, 8);
      sp += 3;
    }
    if (axis == 0 ? maxX >= x : maxY >= y) {
      store<i32>(stack + (sp << 2), m + 1);
      store<i32>(stack + (sp << 2), right, 4);
      store<i32>(stack + (sp << 2), 1 - axis, 8);
      sp += 3;
    }
  }
  return count;
}
