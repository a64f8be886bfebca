/**
 * The two ways the hub runs, started the way a user starts them, for the API and event
 * benchmarks: `embedded` is the hub as `npm start` runs it (`node hub/dist/main.mjs`, the bundle,
 * its own database in a temporary DATA_DIR); `postgres-redis` is the same process with
 * DATABASE_URL and REDIS_URL pointing at a PostgreSQL and a Redis started from the Debian
 * packages on free loopback ports (the scale test run's code, but with PostgreSQL's durable
 * defaults: fsync and synchronous commit on, as in production). `postgres-redis-processes`
 * (the calls benchmark's third way) is the scale deployment: on the same servers, two
 * `HUB_ROLE=web` processes and one `HUB_ROLE=worker`, each with a DATA_DIR of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  basicAuth,
  type HubProcess,
  killStartedProcesses,
  runSb,
  startHub,
} from '../../test/e2e/processes.ts'
import { ensureBinaries, type Service, startPostgres, startRedis } from '../../test/setup/scale-services.ts'

/** The ways every benchmark runs by default. */
export const modes = ['embedded', 'postgres-redis'] as const
export type Mode = (typeof modes)[number]
/** With the scale deployment, which only the calls benchmark runs. */
export type AnyMode = Mode | 'postgres-redis-processes'

export type Target = {
  mode: AnyMode
  dataDir: string
  /** The hub's environment beyond userEnv's (DATA_DIR, HOST=127.0.0.1, LOG_LEVEL=warn). */
  env: Record<string, string>
  /** The hub (the first web process when there are several). */
  hub: HubProcess
  /** Every hub process started (web processes first). */
  hubs: HubProcess[]
  /** The web processes' URLs (one but for postgres-redis-processes). */
  urls: string[]
  url: string
  auth: string
  /** The hub's pid and the database / Redis servers' (their children are found from them). */
  serverPids(): number[]
  /** Stops the hub (SIGTERM) and starts it again with extra environment (e.g. another HUB_ROLE). */
  restart(extra?: Record<string, string>): Promise<void>
  /** Stops every hub process (SIGTERM), the servers staying up. */
  stopHubs(): Promise<void>
  stop(): Promise<void>
}

export type TargetOptions = {
  /** Directory for `node --cpu-prof` profiles of the hub (one .cpuprofile per hub process). */
  cpuProfDir?: string
  /** First HUB_ROLE (default all). */
  role?: 'all' | 'web' | 'worker'
  /**
   * Runs after `sb setup`, before the hub starts (so it may open DATA_DIR's embedded database
   * itself): seeds what the benchmark needs. `env` is the hub's environment beyond userEnv's.
   */
  prepare?: (setup: { dataDir: string; env: Record<string, string>; apiId: string }) => Promise<void>
}

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)

/** Starts a hub of the mode with a company (API key with no practical rate limit). */
export async function startTarget(mode: AnyMode, options: TargetOptions = {}): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), `sb-bench-${mode}-`))
  const services: Service[] = []
  const env: Record<string, string> = {
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    // The benchmark measures the hub, not the per-company API quota (default 120/min).
    RATE_LIMIT_PER_MINUTE: '1000000000',
  }
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []
  if (mode !== 'embedded') {
    ensureBinaries()
    const pg = await startPostgres({ durable: true })
    services.push(pg.service)
    const redis = await startRedis()
    services.push(redis.service)
    env.DATABASE_URL = pg.url
    env.REDIS_URL = redis.url
    say(`${mode}: PostgreSQL ${pg.version} at ${pg.url}, Redis at ${redis.url}`)
  }
  const extraDirs: string[] = []
  const stopServices = async () => {
    for (const s of services.reverse()) await s.stop()
    for (const dir of [dataDir, ...extraDirs]) rmSync(dir, { recursive: true, force: true })
  }

  try {
    const setup = await runSb(
      dataDir,
      [
        'setup',
        '--company',
        'Bench',
        '--email',
        'bench@example.test',
        '--password',
        'bench-password-1',
        '--json',
      ],
      { env },
    )
    if (setup.code !== 0) throw new Error(`sb setup failed: ${setup.stderr}`)
    const keys = JSON.parse(setup.stdout) as { api_id: string; api_token: string }
    await options.prepare?.({ dataDir, env, apiId: keys.api_id })

    const launch = async (extra: Record<string, string> = {}, dir = dataDir) => {
      // The bundle `npm start` runs (sb setup above brought it up to date). A profiled run loads
      // the TypeScript sources through tsx instead, so that its samples name hub/src's files.
      const hub = startHub(dir, 0, {
        ...(options.cpuProfDir ? { direct: true } : { bundled: true }),
        env: { ...env, ...extra },
        nodeArgs,
      })
      await hub.waitHealthy(120_000)
      return hub
    }
    const ownDir = () => {
      const dir = mkdtempSync(join(tmpdir(), `sb-bench-${mode}-`))
      extraDirs.push(dir)
      return dir
    }
    let hubs: HubProcess[]
    if (mode === 'postgres-redis-processes') {
      const webs = [await launch({ HUB_ROLE: 'web' }), await launch({ HUB_ROLE: 'web' }, ownDir())]
      hubs = [...webs, await launch({ HUB_ROLE: 'worker' }, ownDir())]
    } else {
      hubs = [await launch(options.role ? { HUB_ROLE: options.role } : {})]
    }
    // The worker, last, serves no calls.
    const webUrls = () => hubs.slice(0, Math.max(1, hubs.length - 1)).map((h) => h.url)
    const target: Target = {
      mode,
      dataDir,
      env,
      hub: hubs[0]!,
      hubs,
      urls: webUrls(),
      url: hubs[0]!.url,
      auth: basicAuth(keys.api_id, keys.api_token),
      serverPids: () =>
        [...target.hubs.map((h) => h.child.pid ?? null), ...services.map((s) => s.pid())].filter(
          (p): p is number => p !== null,
        ),
      async restart(extra) {
        if (hubs.length > 1) throw new Error(`${mode}: restart is for a single hub process`)
        await hubs[0]!.stop('SIGTERM')
        hubs = [await launch(extra)]
        target.hub = hubs[0]!
        target.hubs = hubs
        target.urls = webUrls()
        target.url = target.hub.url
      },
      async stopHubs() {
        await Promise.all(hubs.map((h) => h.stop('SIGTERM')))
      },
      async stop() {
        await target.stopHubs()
        await killStartedProcesses()
        await stopServices()
      },
    }
    return target
  } catch (err) {
    await killStartedProcesses()
    await stopServices()
    throw err
  }
}

/** Sends requests with at most `concurrency` in flight; fails on the first non-2xx answer. */
export async function sendAll(
  target: Target,
  count: number,
  concurrency: number,
  request: (i: number) => { method: string; path: string; body?: unknown },
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const r = request(i)
      const res = await fetch(`${target.url}${r.path}`, {
        method: r.method,
        headers: { authorization: target.auth, 'content-type': 'application/json' },
        body: r.body === undefined ? undefined : JSON.stringify(r.body),
      })
      const text = await res.text()
      if (!res.ok) throw new Error(`${r.method} ${r.path}: ${res.status} ${text.slice(0, 300)}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/** A French landline per index: +33 1 7x xx xx xx, written with spaces as people type them. */
export function phoneOf(i: number): string {
  const digits = String(70_000_000 + i).padStart(8, '0')
  return `+33 1 ${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4, 6)} ${digits.slice(6, 8)}`
}

export function describeMachine(): string {
  return 'load generator (autocannon) in the benchmark process, on the same machine as the hub'
}

export { say }
