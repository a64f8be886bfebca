import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopLeftoverServer } from '../helpers/embedded-postgres.ts'

/** Helpers that drive Switchboard the way a user does: as separate processes on loopback. */

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

export async function freePort(): Promise<number> {
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

/** The environment a user would have: nothing pointing at a shared server, loopback only. */
export function userEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'warn' }
  for (const key of [
    'DATABASE_URL',
    'REDIS_URL',
    'SMTP_URL',
    'PUBLIC_URL',
    'HUB_ROLE',
    'PORT',
    'NODE_OPTIONS',
  ]) {
    delete env[key]
  }
  return { ...env, ...extra }
}

const spawned = new Set<ChildProcess>()
const dataDirs = new Set<string>()

/**
 * Every process here leads its own process group, so cleanup can kill what it started
 * (`npm start`'s wrapper and the hub under it) without touching anything else.
 */
function spawnTracked(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  spawned.add(child)
  if (env.DATA_DIR) dataDirs.add(env.DATA_DIR)
  return child
}

/**
 * Kills every process group the test started (call it in afterEach) and waits for the leaders,
 * then stops the embedded PostgreSQL servers they left: a server runs in its own session, out
 * of its hub's process group, precisely so that a signal to the hub's group does not reach it.
 */
export async function killStartedProcesses(): Promise<void> {
  const waits: Promise<unknown>[] = []
  for (const child of spawned) {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the whole group is gone already
      }
    }
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((done) => child.once('exit', done)))
    }
  }
  spawned.clear()
  await Promise.all(waits)
  await Promise.all([...dataDirs].map((dir) => stopLeftoverServer(dir)))
  dataDirs.clear()
}

export type HubProcess = {
  child: ChildProcess
  /** The port asked for, or with port 0 the one the hub printed (known once waitHealthy resolved). */
  readonly port: number
  readonly url: string
  /** Everything the process printed so far (stdout and stderr). */
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  waitHealthy(timeoutMs?: number): Promise<void>
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * `npm start`'s process (`node scripts/run.mjs start`), or with direct: true the hub itself
 * (`node --import tsx hub/src/main.ts`), so that its pid is the hub's (for kill -9), or with
 * bundled: true the hub as `npm start` runs it, itself (`node hub/dist/main.mjs`: the bundle
 * must be current, as after any `sb` command through scripts/run.mjs).
 */
export function startHub(
  dataDir: string,
  port: number,
  options: { direct?: boolean; bundled?: boolean; env?: Record<string, string>; nodeArgs?: string[] } = {},
): HubProcess {
  const args = options.bundled
    ? [...(options.nodeArgs ?? []), '--enable-source-maps', join(repoRoot, 'hub/dist/main.mjs')]
    : options.direct
      ? [...(options.nodeArgs ?? []), '--import', 'tsx', join(repoRoot, 'hub/src/main.ts')]
      : [join(repoRoot, 'scripts/run.mjs'), 'start']
  const child = spawnTracked(args, userEnv(dataDir, { ...options.env, PORT: String(port) }))
  let text = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  )
  // PORT=0: the kernel picks a free port at bind time (no window for another process to take
  // it, unlike freePort()); the hub prints it: "running at http://…:<port>" or "probes on port <port>".
  const boundPort = () => {
    if (port !== 0) return port
    const printed = /running at http:\/\/\S+?:(\d+)|probes on port (\d+)/.exec(text)
    return printed ? Number(printed[1] ?? printed[2]) : 0
  }
  return {
    child,
    get port() {
      return boundPort()
    },
    get url() {
      return `http://127.0.0.1:${boundPort()}`
    },
    output: () => text,
    exited,
    async waitHealthy(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `the hub exited (code ${child.exitCode ?? child.signalCode}) before it was healthy:\n${text}`,
          )
        }
        try {
          const bound = boundPort()
          const res = bound === 0 ? null : await fetch(`http://127.0.0.1:${bound}/healthz`)
          // Healthy, and done starting: /healthz answers from the moment the port is bound,
          // a little before the hub prints that it runs (what a user waits for).
          if (res?.ok && /Switchboard (worker )?is running/.test(text)) return
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 150))
      }
      throw new Error(`the hub was not healthy after ${timeoutMs} ms:\n${text}`)
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

export type CliResult = { code: number; stdout: string; stderr: string }

/** `npm run sb -- …`'s process: `node scripts/run.mjs sb …`. */
export function runSb(
  dataDir: string,
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CliResult> {
  const { timeoutMs = 90_000, env } = options
  const child = spawnTracked([join(repoRoot, 'scripts/run.mjs'), 'sb', ...args], userEnv(dataDir, env))
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8')
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('close', (code) => {
      clearTimeout(timer)
      done({ code: code ?? 1, stdout, stderr })
    })
  })
}

export const basicAuth = (apiId: string, apiToken: string) =>
  `Basic ${Buffer.from(`${apiId}:${apiToken}`).toString('base64')}`
