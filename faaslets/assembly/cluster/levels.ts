// One zoom level of supercluster's hierarchy (its `_cluster`): walk the entries of level z + 1 in order,
// and let each not-yet-visited entry absorb its unvisited neighbours within r — greedy, first come first
// served. An entry is 32 bytes, supercluster's Int32 stride plus the summed weight:
//   x i32, y i32  encoded mercator (c − 0.5)·2^30
//   zoom i32      the last zoom at which the entry was visited (> z: not yet)
//   num i32       points inside (1 = an input point)
//   id i32        input index (num = 1) or cluster id ((index << 5) + zoom + 1 + numPoints)
//   weight f64    sum of the weights inside, added in supercluster's map/reduce order
import { KDTree, within } from "./kdbush";

export const ENTRY: usize = 32;
export const E_X: usize = 0;
export const E_Y: usize = 4;
export const E_ZOOM: usize = 8;
export const E_NUM: usize = 12;
export const E_ID: usize = 16;
export const E_WEIGHT: usize = 24;

/** Everything one level needs besides its data: the tree of level z + 1 and scratch. */
export class Level {
  constructor(
    public tree: KDTree,
    /** neighbour ids, room for every entry */
    public neighbors: usize,
    public minPoints: i32,
    /** input points, the offset of every cluster id */
    public numPoints: i32,
    /** maxZoom + 1: the zoom of an entry no level has visited */
    public notProcessed: i32,
  ) {}
}

/** Indexes the n entries at `data` (supercluster's _createTree). */
export function buildTree(tree: KDTree, data: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const e = data + (<usize>i << 5);
    tree.add(i, load<i32>(e, E_X), load<i32>(e, E_Y));
  }
  tree.finish(n);
}

/** Clusters the n entries at `data` (indexed by lv.tree) at `zoom` into `out`; returns the entries written. */
export function clusterLevel(lv: Level, data: usize, n: i32, zoom: i32, r: f64, out: usize): i32 {
  const neighbors = lv.neighbors;
  let cursor = out;
  for (let i = 0; i < n; i++) {
    const e = data + (<usize>i << 5);
    if (load<i32>(e, E_ZOOM) <= zoom) continue;
    store<i32>(e, zoom, E_ZOOM);

    const x = load<i32>(e, E_X);
    const y = load<i32>(e, E_Y);
    const count = within(lv.tree, x, y, r, neighbors);

    const numOrigin = load<i32>(e, E_NUM);
    let num = numOrigin;
    for (let k = 0; k < count; k++) {
      const q = data + (<usize>load<u32>(neighbors + (<usize>k << 2)) << 5);
      if (load<i32>(q, E_ZOOM) > zoom) num += load<i32>(q, E_NUM);
    }

    if (num > numOrigin && num >= lv.minPoints) {
      // weighted centre: exact integer sums in f64, as in JS
      let wx = <f64>x * <f64>numOrigin;
      let wy = <f64>y * <f64>numOrigin;
      let weight = load<f64>(e, E_WEIGHT);
      const id = (i << 5) + (zoom + 1) + lv.numPoints;
      for (let k = 0; k < count; k++) {
        const q = data + (<usize>load<u32>(neighbors + (<usize>k << 2)) << 5);
        if (load<i32>(q, E_ZOOM) <= zoom) continue;
        store<i32>(q, zoom, E_ZOOM);
        const num2 = <f64>load<i32>(q, E_NUM);
        wx += <f64>load<i32>(q, E_X) * num2;
        wy += <f64>load<i32>(q, E_Y) * num2;
        weight += load<f64>(q, E_WEIGHT);
      }
      // Int32Array stores truncate toward zero; a mean of Int32 values always fits
      store<i32>(cursor, <i32>(wx / <f64>num), E_X);
      store<i32>(cursor, <i32>(wy / <f64>num), E_Y);
      store<i32>(cursor, lv.notProcessed, E_ZOOM);
      store<i32>(cursor, num, E_NUM);
      store<i32>(cursor, id, E_ID);
      store<f64>(cursor, weight, E_WEIGHT);
      cursor += ENTRY;
    } else {
      copyEntry(cursor, e);
      cursor += ENTRY;
      if (num > 1) {
        // too few to cluster: the neighbours follow their visitor, unmerged
        for (let k = 0; k < count; k++) {
          const q = data + (<usize>load<u32>(neighbors + (<usize>k << 2)) << 5);
          if (load<i32>(q, E_ZOOM) <= zoom) continue;
          store<i32>(q, zoom, E_ZOOM);
          copyEntry(cursor, q);
          cursor += ENTRY;
        }
      }
    }
  }
  return <i32>((cursor - out) >> 5);
}

// @ts-ignore: decorator
@inline function copyEntry(to: usize, from: usize): void {
  v128.store(to, v128.load(from));
  v128.store(to, v128.load(from, 16), 16);
}
