import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import postgres from 'postgres'

/**
 * Vitest global setup of the "scale" run: a throwaway PostgreSQL and Redis from the Debian
 * packages, on free loopback ports, for the duration of the run. Tests find them through
 * SB_TEST_DATABASE_URL (a superuser URL: test/helpers/database.ts creates one database per test
 * file) and SB_TEST_REDIS_URL. Forked test workers inherit process.env as it is here.
 *
 * Both servers are stopped in the teardown, on process exit and on SIGINT/SIGTERM; their pids
 * also go to SB_TEST_SERVICES_PIDFILE when set, so scripts/run.mjs can reap them even if this
 * process is killed outright.
 */

export type Service = {
  name: string
  pid: () => number | null
  stop: () => Promise<void>
  kill: () => void
}

const isRoot = process.getuid?.() === 0
const READY_TIMEOUT_MS = 60_000

export default async function setup(): Promise<() => Promise<void>> {
  ensureBinaries()
  const services: Service[] = []
  const killAll = () => {
    for (const s of services) s.kill()
  }
  const onSignal = (signal: NodeJS.Signals) => {
    killAll()
    // When we are the only listener, keep the signal's default meaning (terminate).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  process.once('exit', killAll)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    const pg = await startPostgres()
    services.push(pg.service)
    const redis = await startRedis()
    services.push(redis.service)
    process.env.SB_TEST_DATABASE_URL = pg.url
    process.env.SB_TEST_REDIS_URL = redis.url
    console.log(`[scale] PostgreSQL ${pg.version} at ${pg.url}, Redis at ${redis.url}`)
  } catch (err) {
    killAll()
    throw err
  }

  return async () => {
    process.off('exit', killAll)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    for (const s of services.reverse()) await s.stop()
    delete process.env.SB_TEST_DATABASE_URL
    delete process.env.SB_TEST_REDIS_URL
  }
}

// ——— binaries ———

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(base, versions[0], 'bin') : null
}

function redisServerPath(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin').split(':').concat('/usr/bin', '/usr/sbin')) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server')
  }
  return null
}

/** Installs the Debian packages when they are missing and we may (root); else says what to install. */
export function ensureBinaries(): void {
  const missing = [postgresBinDir() ? null : 'postgresql', redisServerPath() ? null : 'redis-server'].filter(
    (p): p is string => p !== null,
  )
  if (missing.length === 0) return
  if (!isRoot) {
    throw new Error(
      `The scale test run needs ${missing.join(' and ')}. Install with: sudo apt-get install -y ${missing.join(' ')}`,
    )
  }
  console.log(`[scale] installing ${missing.join(' ')} with apt-get…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  })
  if (!postgresBinDir() || !redisServerPath())
    throw new Error(`apt-get did not provide ${missing.join(' and ')}`)
}

// ——— helpers ———

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => done(port))
    })
  })
}

function recordPid(kind: 'pid' | 'dir', value: string | number): void {
  const file = process.env.SB_TEST_SERVICES_PIDFILE
  if (file) appendFileSync(file, `${kind} ${value}\n`)
}

/** Keeps the last lines a server printed, to explain a failed start. */
function captureOutput(child: ChildProcess): () => string {
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return () => tail
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done()
    else child.once('exit', () => done())
  })
}

async function waitFor(
  what: string,
  child: ChildProcess,
  output: () => string,
  probe: () => Promise<boolean>,
) {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${what} exited during start (code ${child.exitCode ?? child.signalCode}):\n${output()}`,
      )
    }
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what} was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${output()}`)
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

// ——— PostgreSQL ———

/**
 * A throwaway PostgreSQL cluster on a free loopback port, as the superuser `postgres`. By
 * default tuned for tests (no fsync: the data is thrown away); `durable: true` keeps
 * PostgreSQL's own defaults (fsync, synchronous commit), as a real deployment runs
 * (the benchmarks use it).
 */
export async function startPostgres(
  options: { durable?: boolean } = {},
): Promise<{ url: string; version: string; service: Service }> {
  const bin = postgresBinDir()!
  const version = bin.split('/').at(-2) ?? '?'
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-pg-'))
  recordPid('dir', dir)
  const dataDir = join(dir, 'data')
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
  let asPostgres = (argv: string[]) => argv
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
    asPostgres = (argv) => ['runuser', '-u', 'postgres', '--', ...argv]
  }
  const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { stdio: 'pipe', cwd: dir })
  try {
    run(
      asPostgres([
        join(bin, 'initdb'),
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ]),
    )
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '' // execFileSync errors carry the output
    throw new Error(`initdb failed: ${stderr || String(err)}`)
  }

  // freePort() only says a port was free a moment ago; another process on the machine may
  // bind it before the server does. Then the server cannot listen (or a foreign server answers
  // the probe): try another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return {
        version,
        ...(await runPostgres(bin, dir, dataDir, asPostgres, await freePort(), options.durable ?? false)),
      }
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }
}

/** The server could not have the port it was given: another process holds it. */
class PortTakenError extends Error {}

const portTaken = (output: string) => /address already in use/i.test(output)

async function runPostgres(
  bin: string,
  dir: string,
  dataDir: string,
  asPostgres: (argv: string[]) => string[],
  port: number,
  durable: boolean,
): Promise<{ url: string; service: Service }> {
  const testOnly = durable
    ? []
    : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
  const argv = asPostgres([
    join(bin, 'postgres'),
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    ...testOnly,
    '-c',
    'max_connections=300',
  ])
  const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = captureOutput(child)
  // The child may be runuser; signals go to the postmaster itself, whose pid it writes here.
  const postmasterPid = (): number | null => {
    try {
      const pid = Number.parseInt(
        readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '',
        10,
      )
      return Number.isInteger(pid) && pid > 0 ? pid : null
    } catch {
      return null
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const killServer = () => {
    const pid = postmasterPid()
    if (pid && alive(pid)) process.kill(pid, 'SIGQUIT') // immediate shutdown: the data is thrown away
    if (child.pid && alive(child.pid)) child.kill('SIGKILL')
  }
  const kill = () => {
    killServer()
    rmSync(dir, { recursive: true, force: true })
  }
  const service: Service = {
    name: 'postgres',
    pid: postmasterPid,
    kill,
    async stop() {
      const pid = postmasterPid()
      if (pid && alive(pid)) process.kill(pid, 'SIGINT') // fast shutdown: disconnects clients
      const timer = setTimeout(kill, 10_000)
      await exited(child)
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  let answeredFrom: string | null = null
  try {
    await waitFor('PostgreSQL', child, output, async () => {
      const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
      try {
        const [row] = await sql<{ data_directory: string }[]>`show data_directory`
        answeredFrom = row?.data_directory ?? ''
        return true
      } catch {
        return false
      } finally {
        await sql.end({ timeout: 1 })
      }
    })
    if (answeredFrom !== dataDir && answeredFrom !== realpathSync(dataDir)) {
      throw new PortTakenError(`port ${port} answered from another PostgreSQL (${answeredFrom})`)
    }
  } catch (err) {
    killServer()
    await exited(child)
    if (!(err instanceof PortTakenError) && portTaken(output())) {
      throw new PortTakenError(`PostgreSQL could not listen on port ${port}:\n${output()}`)
    }
    throw err
  }
  const pid = postmasterPid()
  if (pid) recordPid('pid', pid)
  return { url, service }
}

// ——— Redis ———

/** A throwaway redis-server (no persistence) on a free loopback port. */
export async function startRedis(): Promise<{ url: string; service: Service }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-redis-'))
  recordPid('dir', dir)
  // As for PostgreSQL: another port when the one found free was taken before Redis bound it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await runRedis(dir, await freePort())
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true })
        throw err
      }
    }
  }
}

async function runRedis(dir: string, port: number): Promise<{ url: string; service: Service }> {
  const child = spawn(
    redisServerPath()!,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--databases',
      '64',
      '--daemonize',
      'no',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  if (child.pid) recordPid('pid', child.pid)
  const output = captureOutput(child)
  const kill = () => {
    if (child.pid && alive(child.pid)) child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
  const service: Service = {
    name: 'redis',
    pid: () => child.pid ?? null,
    kill,
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(kill, 10_000)
      await exited(child)
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  let answeredPid: string | null = null
  try {
    await waitFor('Redis', child, output, async () => {
      answeredPid = await redisServerPid(port)
      return answeredPid !== null
    })
    if (answeredPid !== String(child.pid)) {
      throw new PortTakenError(`port ${port} answered from another Redis (pid ${answeredPid})`)
    }
  } catch (err) {
    if (child.pid && alive(child.pid)) child.kill('SIGKILL')
    await exited(child)
    if (!(err instanceof PortTakenError) && portTaken(output())) {
      throw new PortTakenError(`Redis could not listen on port ${port}:\n${output()}`)
    }
    throw err
  }
  return { url: `redis://127.0.0.1:${port}`, service }
}

/** The pid of the Redis answering on the port (to tell ours from another), or null if none answers yet. */
async function redisServerPid(port: number): Promise<string | null> {
  const probe = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  probe.on('error', () => {})
  try {
    await probe.connect()
    const info = await probe.info('server')
    return /process_id:(\d+)/.exec(info)?.[1] ?? ''
  } catch {
    return null
  } finally {
    probe.disconnect()
  }
}
