// The one DAG scheduler: starts every unit whose dependencies are done, as soon as they are, and waits.
// On the first failure it starts nothing more, lets the units already running finish (they write into
// the invocation's memory: releasing it under them would hand their chunks to someone else), then throws.
export async function runDag(deps: number[][], start: (unit: number) => Promise<void>, name = 'plan'): Promise<void> {
  const done = new Set<number>()
  const started = new Set<number>()
  const running = new Map<number, Promise<number>>()
  const failure: { failed: boolean; error?: unknown } = { failed: false }
  while (done.size < deps.length) {
    if (!failure.failed) {
      deps.forEach((d, i) => {
        if (started.has(i) || !d.every((k) => done.has(k))) return
        started.add(i)
        running.set(i, start(i).then(() => i, (error) => { if (!failure.failed) Object.assign(failure, { failed: true, error }); return i }))
      })
    }
    if (running.size === 0) {
      if (failure.failed) break
      throw new Error(`${name}: steps wait on each other`)
    }
    const finished = await Promise.race(running.values())
    running.delete(finished)
    if (!failure.failed) done.add(finished)
  }
  if (failure.failed) throw failure.error
}

