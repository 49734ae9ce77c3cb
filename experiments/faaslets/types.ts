import type { Stats } from '../lib/measure.js'

export interface BenchRow { faaslet: string; size: number; wasm: Stats; js: Stats; jsLibrary: string; note?: string }
