// One refresh at a time: calls made while a run is in flight fold into one more run after it. On a busy
// machine a refresh can take longer than a window; dropping stale answers would then never draw anything.
export function singleFlight(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null
  let again = false
  return () => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await task()
        } while (again)
      } finally {
        running = null
      }
    })()
    return running
  }
}
