import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

const REDIS_SERVER = process.env.SB_REDIS_SERVER ?? '/usr/bin/redis-server'

export type TestRedis = { url: string; stop(): Promise<void> }

/** A free loopback TCP port (nothing listens on it once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/**
 * SB_TEST_REDIS_URL when the test setup provides one (stop() leaves it alone); otherwise a
 * private redis-server on a free loopback port. With neither, it throws: Redis-backed code is
 * never silently untested. `what` names the tests in that error.
 */
export async function startTestRedis(what = 'These tests'): Promise<TestRedis> {
  if (process.env.SB_TEST_REDIS_URL) return { url: process.env.SB_TEST_REDIS_URL, stop: async () => {} }
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(
      `${what} need Redis: set SB_TEST_REDIS_URL, or install redis-server (${REDIS_SERVER} is missing)`,
    )
  }
  // freePort() only says the port was free a moment ago: another test file running in
  // parallel may bind it before redis-server does. Then try another port.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisServer(await freePort())
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 5) throw err
    }
  }
}

class PortTakenError extends Error {}

async function startRedisServer(port: number): Promise<TestRedis> {
  const child: ChildProcess = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  let output = ''
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString('utf8')
  })
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString('utf8')
  })
  const url = `redis://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) {
      const message = `redis-server exited (${child.exitCode}): ${output}`
      throw /address already in use/i.test(output) ? new PortTakenError(message) : new Error(message)
    }
    const probe = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.ping()
      // Ours, not a server another file started on this port in the meantime.
      const info = await probe.info('server')
      if (/process_id:(\d+)/.exec(info)?.[1] !== String(child.pid)) {
        await stop()
        throw new PortTakenError(`port ${port} answered, but not from the redis-server started here`)
      }
      return { url, stop }
    } catch (err) {
      if (err instanceof PortTakenError) throw err
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`redis-server did not answer on ${url}: ${output}`)
      }
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      probe.disconnect()
    }
  }
}
