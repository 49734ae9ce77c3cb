// A TCP link between Kafka clients and a broker that a test can cut and restore: while cut, nothing listens on
// its port (clients get ECONNREFUSED, exactly as from a dead broker) and every open connection is reset. The
// broker advertises this port (startBroker's `advertisedPort`), so every client connection goes through it.
// With it a test decides how long clients see the broker gone, independently of how long the broker itself
// takes to restart behind it: a slow restart made slow on purpose.
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface TcpLink {
  /** the port clients connect to */
  port: number
  readonly isCut: boolean
  /** refuse new connections and reset the open ones */
  cut(): Promise<void>
  /** accept and forward again, on the same port */
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpLink(targetPort: number, port = 0): Promise<TcpLink> {
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let listenPort = port

  const listen = () => new Promise<void>((resolve, reject) => {
    const s = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
      for (const sock of [client, upstream]) {
        sockets.add(sock)
        sock.on('close', () => sockets.delete(sock))
        sock.on('error', () => { client.destroy(); upstream.destroy() })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    s.once('error', reject)
    s.listen(listenPort, '127.0.0.1', () => {
      listenPort = (s.address() as { port: number }).port
      server = s
      resolve()
    })
  })

  const stop = () => new Promise<void>((resolve) => {
    const s = server
    server = null
    for (const sock of sockets) sock.resetAndDestroy()
    sockets.clear()
    if (s) s.close(() => resolve())
    else resolve()
  })

  await listen()
  return {
    get port() { return listenPort },
    get isCut() { return server === null },
    cut: stop,
    async restore() {
      if (!server) await listen()
    },
    close: stop,
  }
}
