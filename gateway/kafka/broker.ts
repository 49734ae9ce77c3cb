// A real single-node Apache Kafka broker (KRaft, combined broker + controller) for dev and tests, without
// Docker: the jars come from Maven Central through gateway/kafka/pom.xml and run with plain `java -cp`.
// Listeners bind 127.0.0.1 only. Every process this module stops is one it started, identified by pid
// (and, before any signal, checked to be a `kafka.Kafka` JVM running our generated properties file).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kafka } from 'kafkajs'
import { kafkaConfig } from '../ingest/kafka-client.js'
import { saslListenerEntries, saslPorts, saslProperties, scramFormatArgs, type SaslListenerOptions } from './sasl-listener.js'

export const KAFKA_VERSION = '3.9.1'
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies'
const ASSEMBLED_MARKER = '.graticule-assembled'

/** Walks up from `from` to the first directory holding a package.json (works from source and from dist/). */
export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`kafka: no package.json above ${from}`)
  }
}

/** pom.xml, server.properties and log4j.properties live in the source tree, also when running from dist/. */
function assetDir(): string {
  return join(repoRoot(), 'gateway', 'kafka')
}

/** Where jars, pid files and default data live: $GRATICULE_KAFKA_HOME or <repo>/.kafka (git-ignored). */
export function kafkaHome(): string {
  const env = process.env.GRATICULE_KAFKA_HOME
  return env ? resolve(env) : join(repoRoot(), '.kafka')
}

// ---------------------------------------------------------------------------------------------- assembly

export interface AssembleOptions {
  home?: string
  /** re-fetch even if the cache is complete */
  force?: boolean
  /** progress lines (default: silent) */
  log?: (line: string) => void
}

export interface Assembled {
  home: string
  libDir: string
  jars: number
  cached: boolean
  ms: number
}

function pomHash(): string {
  return createHash('sha256').update(readFileSync(join(assetDir(), 'pom.xml'))).digest('hex').slice(0, 16)
}

function isAssembled(libDir: string, hash: string): boolean {
  try {
    return readFileSync(join(libDir, ASSEMBLED_MARKER), 'utf8').trim() === hash
  } catch {
    return false
  }
}

function countJars(dir: string): number {
  return readdirSync(dir).filter((f) => f.endsWith('.jar')).length
}

/**
 * Copies the broker's runtime jars into <home>/lib with Maven (which caches downloads in ~/.m2).
 * Idempotent: a lib/ whose marker matches the pom's hash is reused in a few ms. The jars are fetched into a
 * private temp dir and renamed into place, so concurrent callers never see a half-filled lib/.
 */
export async function assembleKafka(opts: AssembleOptions = {}): Promise<Assembled> {
  const t0 = performance.now()
  const home = opts.home ?? kafkaHome()
  const libDir = join(home, 'lib')
  const hash = pomHash()
  const done = (cached: boolean): Assembled => ({
    home,
    libDir,
    jars: countJars(libDir),
    cached,
    ms: performance.now() - t0,
  })
  if (!opts.force && isAssembled(libDir, hash)) return done(true)

  await requireTool('mvn', ['-v'], 'Maven (mvn) is needed to fetch the Kafka broker from Maven Central')
  mkdirSync(home, { recursive: true })
  const tmp = `${libDir}.tmp-${process.pid}-${Date.now()}`
  opts.log?.(`kafka: fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libDir} ...`)
  const args = ['-B', '-q', '-f', join(assetDir(), 'pom.xml'), DEPENDENCY_PLUGIN]
  args.push('-DincludeScope=runtime', `-DoutputDirectory=${tmp}`)
  const r = await run('mvn', args, { cwd: home })
  if (r.code !== 0 || !existsSync(tmp) || countJars(tmp) === 0) {
    rmSync(tmp, { recursive: true, force: true })
    throw new Error(`kafka: \`mvn ${args.join(' ')}\` failed (exit ${r.code}):\n${tail(r.stdout + r.stderr, 40)}`)
  }
  writeFileSync(join(tmp, ASSEMBLED_MARKER), hash + '\n')
  if (!opts.force && isAssembled(libDir, hash)) {
    rmSync(tmp, { recursive: true, force: true }) // someone else finished first
    return done(true)
  }
  rmSync(libDir, { recursive: true, force: true }) // stale (pom changed) or forced
  try {
    renameSync(tmp, libDir)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    if (!isAssembled(libDir, hash)) throw err
  }
  opts.log?.(`kafka: ${countJars(libDir)} jars in ${libDir}`)
  return done(false)
}

// ------------------------------------------------------------------------------------------- broker life

export interface StartBrokerOptions {
  /** PLAINTEXT listener on 127.0.0.1 (default 9092) */
  port?: number
  /** CONTROLLER listener on 127.0.0.1 (default port + 1) */
  controllerPort?: number
  /**
   * The port clients are told to reach the broker on (default `port`). Tests put a TCP link they can cut
   * in front of the broker here, so clients lose the broker while it restarts behind the link.
   */
  advertisedPort?: number
  /** holds server.properties, the partition logs and the broker log (default <home>/data/<port>, kept) */
  dataDir?: string
  /** broker stdout/stderr (default <dataDir>/logs/broker.log) */
  logFile?: string
  home?: string
  /** give up (and kill what we started) after this long (default 90 s) */
  timeoutMs?: number
  /**
   * true (default): the JVM gets its own session, so it outlives the starting process and a Ctrl-C in
   * that terminal (CLI `start`). false: it stays in our process group (test runs: Ctrl-C stops it too).
   */
  detached?: boolean
  /**
   * The process whose life the broker belongs to (test runs). A later start on the same port treats a
   * broker whose owner is dead as stale and stops it; a broker without an owner is never replaced.
   */
  ownerPid?: number
  /** extra JVM options, after the defaults (a later -Xmx wins) */
  jvmArgs?: string[]
  /** SASL_PLAINTEXT (and SASL_SSL) listeners beside the PLAINTEXT one, with their users */
  sasl?: SaslListenerOptions
  /**
   * More PLAINTEXT listeners, each advertising its own port. A test puts a TCP link it can cut in front of one
   * (advertisedPort = the link's port): the clients that bootstrap there — an edge's uplink — go through the link,
   * while the rest stay on the main listener and keep their broker.
   */
  plaintextListeners?: Array<{ port: number; advertisedPort: number }>
  log?: (line: string) => void
}

export interface BrokerHandle {
  /** bootstrap address for clients, '127.0.0.1:<port>' */
  brokers: string
  /** the SASL_PLAINTEXT and SASL_SSL listeners' addresses, when asked for */
  saslBrokers?: string
  saslTlsBrokers?: string
  port: number
  controllerPort: number
  pid: number
  dataDir: string
  logFile: string
  pidFile: string
  /** ms from spawning the JVM to a successful kafkajs listTopics */
  startMs: number
  stop(): Promise<void>
}

/** What the pid file (<home>/run/broker-<port>.json) records. */
export interface BrokerRecord {
  pid: number
  port: number
  controllerPort: number
  brokers: string
  dataDir: string
  logFile: string
  propsFile: string
  startedAt: string
  ownerPid?: number
}

/** JVMs started by this process: awaiting their 'exit' is how we see them go (a dead child of ours stays a
 * zombie, which `kill -0` still reports as alive, until Node reaps it). */
const children = new Map<number, ChildProcess>()

export function pidFilePath(port: number, home: string = kafkaHome()): string {
  return join(home, 'run', `broker-${port}.json`)
}

export function readBrokerRecord(port: number, home: string = kafkaHome()): BrokerRecord | undefined {
  try {
    return JSON.parse(readFileSync(pidFilePath(port, home), 'utf8')) as BrokerRecord
  } catch {
    return undefined
  }
}

/**
 * Formats KRaft storage (if needed) and starts the broker in the background; resolves once 127.0.0.1:<port>
 * accepts connections and a kafkajs admin can list topics. On failure the JVM is killed and the error
 * carries the tail of the broker log.
 */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const port = opts.port ?? 9092
  const controllerPort = opts.controllerPort ?? port + 1
  const home = opts.home ?? kafkaHome()
  const dataDir = resolve(opts.dataDir ?? join(home, 'data', String(port)))
  const logFile = resolve(opts.logFile ?? join(dataDir, 'logs', 'broker.log'))
  const timeoutMs = opts.timeoutMs ?? 90_000
  const log = opts.log ?? (() => {})
  const java = javaBin()

  await requireTool(java, ['-version'], 'Java (17+) is needed to run the Kafka broker')
  const { libDir } = await assembleKafka({ home, log })
  await clearStaleRecord(port, home, log)
  const plain = plaintextListenerEntries(opts.plaintextListeners ?? [])
  for (const p of [port, controllerPort, ...(opts.sasl ? saslPorts(opts.sasl) : []), ...(opts.plaintextListeners ?? []).map((l) => l.port)]) {
    if (!(await portIsFree(p))) throw new Error(`kafka: 127.0.0.1:${p} is already in use by another process`)
  }

  // Partition data lives in <dataDir>/kafka-logs; "logs" is the broker's own log output.
  const logDirs = join(dataDir, 'kafka-logs')
  const propsFile = join(dataDir, 'server.properties')
  mkdirSync(logDirs, { recursive: true })
  mkdirSync(dirname(logFile), { recursive: true })
  const sasl = opts.sasl ? saslListenerEntries(opts.sasl) : { listeners: [], protocols: [] }
  let props = renderProperties({
    port, controllerPort, advertisedPort: opts.advertisedPort ?? port, logDirs,
    listeners: [...sasl.listeners, ...plain.listeners], advertised: [...sasl.listeners, ...plain.advertised], protocols: [...sasl.protocols, ...plain.protocols],
  })
  if (opts.sasl) props += saslProperties(opts.sasl, dataDir)
  writeFileSync(propsFile, props)

  const classpath = join(libDir, '*') // java expands the wildcard itself (no shell involved)
  const log4j = `-Dlog4j.configuration=file:${join(assetDir(), 'log4j.properties')}`
  const tFormat = performance.now()
  await formatStorage(java, classpath, log4j, propsFile, logDirs, opts.sasl ? scramFormatArgs(opts.sasl) : [])
  log(`kafka: storage formatted in ${((performance.now() - tFormat) / 1000).toFixed(1)} s`)

  const args = [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${dirname(logFile)}`,
    log4j,
    ...(opts.jvmArgs ?? []),
    '-cp',
    classpath,
    'kafka.Kafka',
    propsFile,
  ]
  const out = openSync(logFile, 'a')
  const t0 = performance.now()
  let child: ChildProcess
  try {
    child = spawn(java, args, { cwd: dataDir, detached: opts.detached ?? true, stdio: ['ignore', out, out] })
  } finally {
    closeSync(out)
  }
  const pid = child.pid
  if (pid === undefined) throw new Error(`kafka: could not spawn ${java}`)
  let exited: string | undefined
  child.on('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `exit code ${code}`))
  child.on('error', (err) => (exited = `spawn error: ${err.message}`))
  children.set(pid, child)
  child.unref() // the broker must not keep the starting process alive

  const brokers = `127.0.0.1:${port}`
  const record: BrokerRecord = {
    pid,
    port,
    controllerPort,
    brokers,
    dataDir,
    logFile,
    propsFile,
    startedAt: new Date().toISOString(),
    ...(opts.ownerPid !== undefined ? { ownerPid: opts.ownerPid } : {}),
  }
  const pidFile = pidFilePath(port, home)
  mkdirSync(dirname(pidFile), { recursive: true })
  writeFileSync(pidFile, JSON.stringify(record, null, 2) + '\n')
  log(`kafka: started pid ${pid} on ${brokers} (data ${dataDir}, log ${logFile})`)

  const deadline = Date.now() + timeoutMs
  try {
    for (;;) {
      if (exited) throw new Error(`kafka: broker pid ${pid} died during start-up (${exited})`)
      if (Date.now() > deadline) throw new Error(`kafka: broker on ${brokers} not ready after ${timeoutMs} ms`)
      if ((await tcpAccepts(port)) && (await canListTopics(brokers))) break
      await sleep(250)
    }
  } catch (err) {
    await stopPid(pid, 5_000).catch(() => {})
    rmSync(pidFile, { force: true })
    const msg = err instanceof Error ? err.message : String(err)
    throw new Error(`${msg}\n--- tail of ${logFile} ---\n${tail(readText(logFile), 40)}`)
  }
  const startMs = performance.now() - t0
  log(`kafka: ready on ${brokers} in ${(startMs / 1000).toFixed(1)} s`)
  return {
    brokers,
    ...(opts.sasl ? { saslBrokers: `127.0.0.1:${opts.sasl.port}` } : {}),
    ...(opts.sasl?.tlsPort !== undefined ? { saslTlsBrokers: `127.0.0.1:${opts.sasl.tlsPort}` } : {}),
    port,
    controllerPort,
    pid,
    dataDir,
    logFile,
    pidFile,
    startMs,
    stop: () => stopBroker(record, { home }).then(() => undefined),
  }
}

export interface StopOptions {
  /** SIGTERM grace before SIGKILL (default 30 s: a KRaft broker's controlled shutdown takes a few) */
  graceMs?: number
  home?: string
}

/**
 * Stops one broker by pid: SIGTERM, SIGKILL after the grace period, then waits for it to be gone.
 * Refuses a pid that is not a `kafka.Kafka` JVM (a recycled pid is never signalled). Returns false if
 * the process had already exited. Removes the pid file when it names this pid.
 */
export async function stopBroker(
  target: number | Pick<BrokerRecord, 'pid'> & Partial<BrokerRecord>,
  opts: StopOptions = {},
): Promise<boolean> {
  const pid = typeof target === 'number' ? target : target.pid
  const home = opts.home ?? kafkaHome()
  const port = typeof target === 'number' ? undefined : target.port
  const stopped = await stopPid(pid, opts.graceMs ?? 30_000, typeof target === 'number' ? undefined : target.propsFile)
  if (port !== undefined && readBrokerRecord(port, home)?.pid === pid) rmSync(pidFilePath(port, home), { force: true })
  return stopped
}

export interface BrokerStatus {
  port: number
  brokers: string
  /** the pid file names a live kafka.Kafka process */
  running: boolean
  /** 127.0.0.1:<port> accepts TCP connections (ours or anyone's) */
  listening: boolean
  /** a pid file exists but its process is gone */
  stale: boolean
  record?: BrokerRecord
}

/** Read-only look at the broker on `port`: pid file, liveness of that pid, and the listener. */
export async function brokerStatus(port = 9092, opts: { home?: string } = {}): Promise<BrokerStatus> {
  const record = readBrokerRecord(port, opts.home ?? kafkaHome())
  const running = record !== undefined && isAlive(record.pid) && isKafkaJvm(record.pid, record.propsFile)
  return {
    port,
    brokers: `127.0.0.1:${port}`,
    running,
    listening: await tcpAccepts(port),
    stale: record !== undefined && !running,
    ...(record ? { record } : {}),
  }
}

// ------------------------------------------------------------------------------------------- internals

interface PropertyValues {
  port: number
  controllerPort: number
  advertisedPort: number
  logDirs: string
  /** listeners beyond PLAINTEXT and CONTROLLER, what they advertise, and their security protocols */
  listeners: string[]
  advertised: string[]
  protocols: string[]
}

/** Listeners PLAIN1, PLAIN2, … bound to their port and advertising their advertisedPort. */
function plaintextListenerEntries(ls: Array<{ port: number; advertisedPort: number }>): { listeners: string[]; advertised: string[]; protocols: string[] } {
  return {
    listeners: ls.map((l, i) => `PLAIN${i + 1}://127.0.0.1:${l.port}`),
    advertised: ls.map((l, i) => `PLAIN${i + 1}://127.0.0.1:${l.advertisedPort}`),
    protocols: ls.map((_, i) => `PLAIN${i + 1}:PLAINTEXT`),
  }
}

function renderProperties(v: PropertyValues): string {
  const template = readFileSync(join(assetDir(), 'server.properties'), 'utf8')
  const values: Record<string, string> = {
    PORT: String(v.port),
    ADVERTISED_PORT: String(v.advertisedPort),
    CONTROLLER_PORT: String(v.controllerPort),
    EXTRA_LISTENERS: v.listeners.map((l) => `,${l}`).join(''),
    EXTRA_ADVERTISED: v.advertised.map((l) => `,${l}`).join(''),
    EXTRA_PROTOCOLS: v.protocols.map((p) => `,${p}`).join(''),
    // java.util.Properties treats backslashes as escapes; forward slashes work on every OS.
    LOG_DIRS: v.logDirs.replaceAll('\\', '/'),
  }
  return template.replace(/\$\{([A-Z_]+)\}/g, (m, k: string) => values[k] ?? m)
}

/**
 * `StorageTool format --ignore-formatted`, reusing the cluster id of an already formatted data dir. `extra`
 * (--add-scram users) takes effect only on a fresh data dir.
 */
async function formatStorage(java: string, cp: string, log4j: string, props: string, logDirs: string, extra: string[]) {
  // Short-lived tool JVMs: C1 only and the serial GC start noticeably faster on a small machine.
  const tool = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', log4j, '-Dgraticule.log.level=WARN', '-Dgraticule.log.target=System.err', '-cp', cp]
  let clusterId = readMetaClusterId(logDirs)
  if (!clusterId) {
    const r = await run(java, [...tool, 'kafka.tools.StorageTool', 'random-uuid'])
    clusterId = r.stdout.trim()
    if (r.code !== 0 || !/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
      throw new Error(`kafka: StorageTool random-uuid failed (exit ${r.code}):\n${tail(r.stdout + r.stderr, 30)}`)
    }
  }
  const r = await run(java, [...tool, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted', ...extra])
  if (r.code !== 0) throw new Error(`kafka: StorageTool format failed (exit ${r.code}):\n${tail(r.stdout + r.stderr, 30)}`)
}

function readMetaClusterId(logDirs: string): string | undefined {
  const m = /^cluster\.id=(.+)$/m.exec(readText(join(logDirs, 'meta.properties')))
  return m?.[1].trim()
}

async function clearStaleRecord(port: number, home: string, log: (line: string) => void): Promise<void> {
  const rec = readBrokerRecord(port, home)
  if (!rec) return
  const alive = isAlive(rec.pid) && isKafkaJvm(rec.pid, rec.propsFile)
  if (alive && rec.ownerPid !== undefined && !isAlive(rec.ownerPid)) {
    log(`kafka: stopping stale broker pid ${rec.pid} on port ${port} (its owner ${rec.ownerPid} is gone)`)
    await stopBroker(rec, { home, graceMs: 10_000 })
    return
  }
  if (alive) {
    throw new Error(
      `kafka: a broker is already running on 127.0.0.1:${port} (pid ${rec.pid}, data ${rec.dataDir}); ` +
        'stop it first (npm run kafka -- stop' + (port === 9092 ? '' : ` --port ${port}`) + ')',
    )
  }
  rmSync(pidFilePath(port, home), { force: true })
}

async function stopPid(pid: number, graceMs: number, propsFile?: string): Promise<boolean> {
  if (!isAlive(pid)) return false
  if (!isKafkaJvm(pid, propsFile)) throw new Error(`kafka: pid ${pid} is not our Kafka broker; not signalling it`)
  signal(pid, 'SIGTERM')
  if (await waitGone(pid, graceMs)) return true
  signal(pid, 'SIGKILL')
  if (await waitGone(pid, 10_000)) return true
  throw new Error(`kafka: broker pid ${pid} survived SIGKILL`)
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig) // this pid only: never its group, never by name
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const child = children.get(pid)
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (child ? child.exitCode !== null || child.signalCode !== null : !isAlive(pid)) {
      children.delete(pid)
      return true
    }
    await sleep(100)
  }
  return false
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // A zombie (exited, not yet reaped) still answers kill -0.
  const stat = readText(`/proc/${pid}/stat`)
  return !/^\d+ \(.*\) Z/.test(stat)
}

/** Is `pid` a kafka.Kafka JVM (running `propsFile`, when given)? Linux: /proc; elsewhere: ps. */
function isKafkaJvm(pid: number, propsFile?: string): boolean {
  let cmdline = readText(`/proc/${pid}/cmdline`).replaceAll('\0', ' ')
  if (!cmdline && !existsSync('/proc/self')) cmdline = runSyncText('ps', ['-o', 'args=', '-p', String(pid)])
  return cmdline.includes('kafka.Kafka') && (propsFile === undefined || cmdline.includes(propsFile))
}

function javaBin(): string {
  const home = process.env.JAVA_HOME
  const candidate = home ? join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java') : ''
  return candidate && existsSync(candidate) ? candidate : 'java'
}

async function requireTool(cmd: string, args: string[], why: string): Promise<void> {
  const r = await run(cmd, args).catch((err: Error) => ({ code: -1, stdout: '', stderr: err.message }))
  if (r.code !== 0) throw new Error(`kafka: ${why}, but \`${cmd} ${args.join(' ')}\` failed: ${r.stderr.trim()}`)
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer()
    srv.once('error', () => done(false))
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => done(true)))
  })
}

function tcpAccepts(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((done) => {
    const sock = createConnection({ port, host: '127.0.0.1' })
    const finish = (ok: boolean) => {
      sock.destroy()
      done(ok)
    }
    sock.setTimeout(timeoutMs, () => finish(false))
    sock.once('connect', () => finish(true))
    sock.once('error', () => finish(false))
  })
}

async function canListTopics(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    ...kafkaConfig([brokers], { connectionTimeoutMs: 2_000 }, { clientId: 'graticule-broker-probe', retry: { retries: 0 }, log: null }),
    requestTimeout: 5_000,
  })
  const admin = kafka.admin()
  try {
    await admin.connect()
    await admin.listTopics()
    return true
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

interface RunResult {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    p.once('error', fail)
    p.once('close', (code) => done({ code: code ?? -1, stdout, stderr }))
  })
}

function runSyncText(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return r.status === 0 ? r.stdout : ''
}

function readText(file: string): string {
  try {
    return statSync(file).isFile() ? readFileSync(file, 'utf8') : ''
  } catch {
    return ''
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
