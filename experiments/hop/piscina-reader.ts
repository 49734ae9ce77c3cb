// A piscina task that does what a `spread` step does on arrival, minus the faaslet: takes a descriptor,
// checks the region in the tenant's shared memory and reads its sequence number.
import { workerData } from 'piscina'
import { Arena, type ArenaHandles } from '../../dataplane/arena.js'
import { readSeq } from './region-seq.js'

const arena = new Arena((workerData as { arena: ArenaHandles }).arena)

export default function read(task: { ptr: number; len: number; seq: number }): number {
  const seen = readSeq(arena.view(), task)
  if (seen !== task.seq) throw new Error(`read sequence ${seen}, the task said ${task.seq}`)
  return seen
}
