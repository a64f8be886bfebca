import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { acquireDataDirLock, DataDirLockedError, liveLockHolder } from './lock.ts'

const dirs: string[] = []
const children: ChildProcess[] = []

function dataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'sb-lock-'))
  dirs.push(dir)
  return dir
}

/** A live process whose command line looks like a Switchboard one (node), or not (sleep). */
async function liveProcess(command: 'node' | 'sleep'): Promise<number> {
  const child =
    command === 'node'
      ? spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
      : spawn('sleep', ['60'], { stdio: 'ignore' })
  children.push(child)
  await new Promise((r) => child.once('spawn', r))
  return child.pid!
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('DATA_DIR lock', () => {
  test('is taken with our pid inside and removed on release', () => {
    const dir = dataDir()
    const lock = acquireDataDirLock(dir)
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8').trim()).toBe(String(process.pid))
    lock.release()
    expect(() => readFileSync(join(dir, 'hub.lock'))).toThrow()
    lock.release() // idempotent
  })

  test('is refused while another live Switchboard process holds it, naming its pid', async () => {
    const dir = dataDir()
    const pid = await liveProcess('node')
    writeFileSync(join(dir, 'hub.lock'), `${pid}\n`)
    expect(liveLockHolder(dir)).toBe(pid)
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError)
    expect(() => acquireDataDirLock(dir)).toThrow(
      `another Switchboard process (pid ${pid}) uses DATA_DIR ${dir}`,
    )
    // The holder's lock is left alone.
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8').trim()).toBe(String(pid))
  })

  test('is taken over when its pid is dead, or now belongs to something that is not Node', async () => {
    for (const pid of [await deadPid(), await liveProcess('sleep')]) {
      const dir = dataDir()
      writeFileSync(join(dir, 'hub.lock'), `${pid}\n`)
      expect(liveLockHolder(dir)).toBeNull()
      const lock = acquireDataDirLock(dir)
      expect(readFileSync(join(dir, 'hub.lock'), 'utf8').trim()).toBe(String(process.pid))
      lock.release()
    }
  })

  test('release does not remove a lock that another process took over meanwhile', async () => {
    const dir = dataDir()
    const lock = acquireDataDirLock(dir)
    const other = await liveProcess('node')
    writeFileSync(join(dir, 'hub.lock'), `${other}\n`)
    lock.release()
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8').trim()).toBe(String(other))
  })
})
