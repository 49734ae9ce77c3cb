// /live/events: one Server-Sent Event per closed window. EventSource reconnects by itself; the badge
// says whether the stream is up.
import type { LiveSummary } from '../../ingest/live-state.js'

export type { LiveSummary }

export function listenWindows(onWindow: (s: LiveSummary) => void, onState: (up: boolean) => void): () => void {
  const source = new EventSource('/live/events')
  source.addEventListener('window', (e) => onWindow(JSON.parse((e as MessageEvent<string>).data) as LiveSummary))
  source.onopen = () => onState(true)
  source.onerror = () => onState(false)
  return () => source.close()
}
