import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { clusterDirOf, runningServerPid } from '../../src/db/embedded-postgres.ts'
import { openMemoryDatabase } from '../helpers/database.ts'
import { isAlive } from '../helpers/embedded-postgres.ts'
import { createTestHub } from '../helpers/hub.ts'
import { basicAuth, type HubProcess, killStartedProcesses, runSb, startHub } from './processes.ts'

// The embedded database as a user lives it: the hub started as a process on a DATA_DIR runs its
// own PostgreSQL there, and whatever happens to the hub (Ctrl-C, kill -9, a second hub, an
// upgrade from the PGlite versions), the data committed through the API is there afterwards.

const dirs: string[] = []

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-db-'))
  dirs.push(dir)
  return dir
}

let template = ''
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'sb-e2e-db-template-'))
  const res = await runSb(template, ['migrate'])
  if (res.code !== 0) throw new Error(`sb migrate failed: ${res.stderr}`)
}, 120_000)
afterAll(() => rmSync(template, { recursive: true, force: true }))

function migratedDataDir(): string {
  const dir = dataDir()
  // cp -a: the cluster's files keep their owner (the `postgres` user when the tests run as root).
  const copy = spawnSync('cp', ['-a', `${template}/.`, dir], { encoding: 'utf8' })
  if (copy.status !== 0) throw new Error(`cp -a failed: ${copy.stderr}`)
  return dir
}

afterEach(async () => {
  await killStartedProcesses()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const hub = (dir: string, env: Record<string, string> = {}) =>
  startHub(dir, 0, { direct: true, env: { RATE_LIMIT_PER_MINUTE: '100000', ...env } })

async function setup(dir: string, company: string) {
  const res = await runSb(dir, [
    'setup',
    '--company',
    company,
    '--email',
    `admin@${company.toLowerCase().replaceAll(' ', '-')}.test`,
    '--password',
    'a long password',
    '--json',
  ])
  expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' })
  const created = JSON.parse(res.stdout) as { api_id: string; api_token: string }
  return basicAuth(created.api_id, created.api_token)
}

type Contact = { id: number; first_name: string; phone_numbers: { value: string }[] }

async function api(h: HubProcess, auth: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: (await res.json()) as { contact?: Contact; company?: { name: string } } }
}

const contactInput = (i: number) => ({
  first_name: `Person ${i}`,
  last_name: 'Durable',
  phone_numbers: [{ label: 'Work', value: `+3317611${String(i).padStart(4, '0')}` }],
})

/** Creates contacts through the API, a few at a time; answers those the hub confirmed. */
async function createContacts(h: HubProcess, auth: string, count: number): Promise<Contact[]> {
  const created: Contact[] = []
  for (let start = 0; start < count; start += 6) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(6, count - start) }, (_, k) =>
        api(h, auth, 'POST', '/v1/contacts', contactInput(start + k)),
      ),
    )
    for (const res of batch) {
      expect(res.status).toBe(201)
      created.push(res.body.contact!)
    }
  }
  return created
}

async function expectContacts(h: HubProcess, auth: string, expected: Contact[]) {
  const found = await Promise.all(expected.map((c) => api(h, auth, 'GET', `/v1/contacts/${c.id}`)))
  expect(found.map((res) => [res.status, res.body.contact?.first_name])).toEqual(
    expected.map((c) => [200, c.first_name]),
  )
}

const SCHED_BATCH = 3
/** A process's parent and scheduling policy, from /proc/<pid>/stat (fields 4 and 41). */
function statOf(pid: number): { ppid: number; policy: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')
    // After "pid (comm) ", the fields start at the third: state, ppid, ...
    return { ppid: Number(fields[1]), policy: Number(fields[38]) }
  } catch {
    return null
  }
}

const serverPid = (dir: string) => runningServerPid(clusterDirOf(dir))
const pidFileLines = (dir: string) =>
  readFileSync(join(clusterDirOf(dir), 'postmaster.pid'), 'utf8').split('\n')

describe('the embedded PostgreSQL server', { timeout: 240_000 }, () => {
  test('a fresh DATA_DIR: its own cluster, a private password, no TCP port; stopped with the hub', async () => {
    const dir = dataDir()
    const h = hub(dir)
    await h.waitHealthy()
    expect(readFileSync(join(dir, 'postgres', 'PG_VERSION'), 'utf8').trim()).toBe('17')
    expect(statSync(join(dir, 'postgres-password')).mode & 0o777).toBe(0o600)
    // postmaster.pid, as PostgreSQL documents it: line 5 the socket directory, line 6 the TCP
    // address (empty: no TCP listener at all).
    const lines = pidFileLines(dir)
    expect({ socketDir: lines[4], tcp: lines[5] }).toEqual({ socketDir: clusterDirOf(dir), tcp: '' })
    expect(statSync(join(dir, 'postgres')).mode & 0o777).toBe(0o700)
    const pid = serverPid(dir)
    expect(pid).not.toBeNull()

    const auth = await setup(dir, 'Fresh Co')
    expect((await api(h, auth, 'GET', '/v1/company')).body.company?.name).toBe('Fresh Co')
    // The server and the backends serving the hub run under SCHED_BATCH, so that a backend the
    // hub wakes does not take the hub's CPU from it.
    const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && statOf(Number(p))?.ppid === pid)
    expect(children.length).toBeGreaterThan(0)
    expect([pid!, ...children.map(Number)].map((p) => statOf(p)?.policy)).toEqual(
      Array(children.length + 1).fill(SCHED_BATCH),
    )

    expect(await h.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(isAlive(pid!)).toBe(false)
    expect(existsSync(join(dir, 'postgres', 'postmaster.pid'))).toBe(false)
  })

  test('SIGTERM while the hub is still starting: it stops once started, its database server with it', async () => {
    const dir = migratedDataDir()
    const h = hub(dir)
    // The moment the database server runs, the hub is still loading or starting the rest.
    while (serverPid(dir) === null) {
      if (h.child.exitCode !== null) throw new Error(`the hub exited:\n${h.output()}`)
      await new Promise((done) => setTimeout(done, 10))
    }
    const server = serverPid(dir)!
    expect(await h.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(h.output()).toContain('Switchboard stopped.')
    expect(isAlive(server)).toBe(false)
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false)
  })

  test('kill -9 of the hub: the next start stops the server it left running, and every committed row is back', async () => {
    const dir = migratedDataDir()
    const first = hub(dir)
    await first.waitHealthy()
    const auth = await setup(dir, 'Crash Co')
    const contacts = await createContacts(first, auth, 30)
    const orphan = serverPid(dir)
    expect(orphan).not.toBeNull()

    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL')
    // The server outlives the hub (its own session, so a terminal's Ctrl-C never reaches it).
    expect(isAlive(orphan!)).toBe(true)

    const second = hub(dir)
    await second.waitHealthy()
    expect(second.output()).toContain(`stopping the embedded PostgreSQL server (pid ${orphan}) left running`)
    expect(isAlive(orphan!)).toBe(false)
    expect(serverPid(dir)).not.toBe(orphan)
    await expectContacts(second, auth, contacts)
    // And it takes new writes.
    const more = await createContacts(second, auth, 1)
    expect(contacts.map((c) => c.id)).not.toContain(more[0]!.id)

    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(serverPid(dir)).toBeNull()
  })

  test('kill -9 of the hub and of its server, and a postmaster.pid naming another process: every committed row is back', async () => {
    const dir = migratedDataDir()
    const first = hub(dir)
    await first.waitHealthy()
    const auth = await setup(dir, 'Power Cut Co')
    const contacts = await createContacts(first, auth, 24)
    const server = serverPid(dir)!
    await first.stop('SIGKILL')
    process.kill(server, 'SIGKILL')
    while (isAlive(server)) await new Promise((done) => setTimeout(done, 20))
    // After a reboot the pid in postmaster.pid may belong to an unrelated live process (here,
    // this test's own): PostgreSQL alone would refuse to start on it.
    const lines = pidFileLines(dir)
    lines[0] = String(process.pid)
    writeFileSync(join(clusterDirOf(dir), 'postmaster.pid'), lines.join('\n'))

    const second = hub(dir)
    await second.waitHealthy()
    await expectContacts(second, auth, contacts)
    expect(isAlive(process.pid)).toBe(true)
  })

  test('a second hub on the same DATA_DIR is refused and leaves the first one and its database alone', async () => {
    const dir = migratedDataDir()
    const first = hub(dir)
    await first.waitHealthy()
    const auth = await setup(dir, 'Only Co')
    const contacts = await createContacts(first, auth, 3)
    const server = serverPid(dir)

    const second = hub(dir)
    expect((await second.exited).code).toBe(1)
    expect(second.output()).toContain(
      `another Switchboard process (pid ${first.child.pid}) uses DATA_DIR ${dir}`,
    )
    expect(serverPid(dir)).toBe(server)
    await expectContacts(first, auth, contacts)
  })

  test('a DATA_DIR too deep for a unix socket path: the server listens on loopback TCP only', async () => {
    const base = dataDir()
    chmodSync(base, 0o711) // mkdtemp's 0700 would shut the server's user out when the tests run as root
    const dir = join(base, 'a-directory-name-long-enough-to-push-the-socket-path-past-108-bytes', 'data')
    const h = hub(dir)
    await h.waitHealthy()
    const lines = pidFileLines(dir)
    expect({ socketDir: lines[4], tcp: lines[5] }).toEqual({ socketDir: '', tcp: '127.0.0.1' })
    const auth = await setup(dir, 'Deep Co')
    expect((await api(h, auth, 'GET', '/v1/company')).body.company?.name).toBe('Deep Co')
  })

  test('as root the server runs as "postgres": a DATA_DIR it cannot reach is refused with what to do', async () => {
    const closed = dataDir() // mkdtemp: mode 0700
    const dir = join(closed, 'inner', 'data')
    mkdirSync(dir, { recursive: true })
    const h = hub(dir)
    if (process.getuid?.() === 0) {
      expect((await h.exited).code).toBe(1)
      expect(h.output()).toContain(
        `running as root, Switchboard starts its embedded PostgreSQL as the system user "postgres", which cannot reach ${join(closed, 'inner')} (${closed} is closed to it)`,
      )
      expect(h.output()).toContain(`chmod o+x ${closed}`)
      expect(existsSync(join(dir, 'postgres'))).toBe(false)
    } else {
      // A regular user's server runs as that user: any directory of theirs will do.
      await h.waitHealthy()
      expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true)
    }
  })
})

describe('a DATA_DIR of the PGlite versions', { timeout: 240_000 }, () => {
  test('is converted at the first start: same company, API key and contacts; new rows get new ids', async () => {
    const dir = dataDir()
    // What the PGlite versions left: DATA_DIR/pglite, written through the same API.
    const old = await createTestHub({ database: await openMemoryDatabase(join(dir, 'pglite')) })
    const company = await old.createCompany('Legacy Co')
    const contacts: Contact[] = []
    for (let i = 0; i < 12; i++) {
      const res = await old.call('POST', '/v1/contacts', { auth: company.basic, body: contactInput(i) })
      expect(res.status).toBe(201)
      contacts.push(res.body.contact)
    }
    await old.close()

    const h = hub(dir)
    await h.waitHealthy()
    expect(h.output()).toContain(`the PGlite files are kept in ${join(dir, 'pglite-converted')}`)
    expect(existsSync(join(dir, 'pglite'))).toBe(false)
    expect(existsSync(join(dir, 'pglite-converted', 'PG_VERSION'))).toBe(true)

    expect((await api(h, company.basic, 'GET', '/v1/company')).body.company?.name).toBe('Legacy Co')
    await expectContacts(h, company.basic, contacts)
    const [added] = await createContacts(h, company.basic, 1)
    expect(added!.id).toBeGreaterThan(Math.max(...contacts.map((c) => c.id)))

    // Converted once: the next start finds the PostgreSQL cluster and nothing to convert.
    expect(await h.stop('SIGTERM')).toEqual({ code: 0, signal: null })
    const again = hub(dir)
    await again.waitHealthy()
    expect(again.output()).not.toContain('PGlite')
    await expectContacts(again, company.basic, [...contacts, added!])
  })
})
