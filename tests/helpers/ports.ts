// A port nothing listens on (taken and given back at once): the address of a peer that is offline.
import { createServer } from 'node:net'

export async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}
