import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { hubQueues } from '../../src/job-registry.ts'
import { basicAuth, freePort, type HubProcess, killStartedProcesses, runSb, startHub } from './processes.ts'

// The README's promise, checked the way a new user lives it: `npm start`, `npm run sb -- setup`
// in another terminal, curl. Each test has its own DATA_DIR and port.

const dirs: string[] = []

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-'))
  dirs.push(dir)
  return dir
}

// A fresh embedded database takes seconds to initialise (initdb); the first test starts from an
// empty directory like a new user, the others from a copy of a migrated one.
let template = ''
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'sb-e2e-template-'))
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

function hub(dir: string, port: number, options: { direct?: boolean } = {}): HubProcess {
  return startHub(dir, port, options)
}

afterEach(async () => {
  await killStartedProcesses()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function setup(dir: string, company: string, email: string) {
  const res = await runSb(dir, [
    'setup',
    '--company',
    company,
    '--email',
    email,
    '--password',
    'a long password',
    '--json',
  ])
  expect(res.stderr).toBe('')
  expect(res.code).toBe(0)
  const created = JSON.parse(res.stdout) as {
    company_id: number
    user_id: number
    api_id: string
    api_token: string
  }
  expect(created).toMatchObject({ company_id: expect.any(Number), user_id: expect.any(Number) })
  return created
}

async function getCompany(h: HubProcess, apiId: string, apiToken: string) {
  const res = await fetch(`${h.url}/v1/company`, { headers: { authorization: basicAuth(apiId, apiToken) } })
  return { status: res.status, body: (await res.json()) as { company?: { name: string } } }
}

describe('npm start', { timeout: 180_000 }, () => {
  test('tells how to create the first company; sb setup reaches the running hub; SIGTERM stops it cleanly', async () => {
    const dir = dataDir()
    const h = hub(dir, await freePort())
    await h.waitHealthy()
    expect(h.output()).toContain(`Switchboard is running at ${h.url}`)
    expect(h.output()).toContain('npm run sb -- setup --company "Acme" --email you@example.com --password')
    expect(h.output()).toContain(`curl -u <api_id>:<api_token> ${h.url}/v1/company`)
    // The admin socket is for the data directory's owner only.
    expect(statSync(join(dir, 'admin.sock')).mode & 0o777).toBe(0o600)

    const created = await setup(dir, 'Acme Test', 'owner@acme.test')
    const company = await getCompany(h, created.api_id, created.api_token)
    expect(company.status).toBe(200)
    expect(company.body.company?.name).toBe('Acme Test')

    // Without --json: text for a person, with the curl to paste for this very hub.
    const human = await runSb(dir, [
      'setup',
      '--company',
      'Beta',
      '--email',
      'b@beta.test',
      '--password',
      'a long password',
    ])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('shown only this once')
    expect(human.stdout).toMatch(new RegExp(`curl -u sbk_\\S+:sbt_\\S+ ${h.url}/v1/company`))

    // The same email in a second company: accepted (emails are unique per company).
    const second = await runSb(dir, [
      'setup',
      '--company',
      'Other',
      '--email',
      'OWNER@acme.test',
      '--password',
      'a long password',
      '--json',
    ])
    expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(second.stdout).company_id).not.toBe(created.company_id)

    // Bad input: refused with a message naming the field, exit code 2, through the running hub.
    const bad = await runSb(dir, [
      'setup',
      '--company',
      'Third',
      '--email',
      'nope',
      '--password',
      'a long password',
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('email')

    // The review queue through the running hub's admin socket: empty, as JSON.
    const queue = await runSb(dir, ['numbers:pending', '--json'])
    expect({ code: queue.code, stderr: queue.stderr }).toEqual({ code: 0, stderr: '' })
    expect(JSON.parse(queue.stdout)).toEqual([])

    const exit = await h.stop('SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(h.output()).toContain('Switchboard stopped.')
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false)
    expect(existsSync(join(dir, 'admin.sock'))).toBe(false)
  })

  test('a second hub on the same DATA_DIR refuses to start and names the first', async () => {
    const dir = migratedDataDir()
    const first = hub(dir, await freePort(), { direct: true })
    await first.waitHealthy()
    const second = hub(dir, await freePort(), { direct: true })
    const exit = await second.exited
    expect(exit.code).toBe(1)
    expect(second.output()).toContain(
      `another Switchboard process (pid ${first.child.pid}) uses DATA_DIR ${dir}`,
    )
    expect(readFileSync(join(dir, 'hub.lock'), 'utf8').trim()).toBe(String(first.child.pid))
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
  })

  test('sb setup with no hub running opens the directory itself; the hub started later serves the company', async () => {
    const dir = migratedDataDir()
    const created = await setup(dir, 'Offline Co', 'first@offline.test')
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false)
    const queue = await runSb(dir, ['numbers:pending'])
    expect({ code: queue.code, stdout: queue.stdout }).toEqual({
      code: 0,
      stdout: 'No number is waiting for review.\n',
    })

    const h = hub(dir, await freePort(), { direct: true })
    await h.waitHealthy()
    expect(h.output()).not.toContain('No company exists yet')
    const company = await getCompany(h, created.api_id, created.api_token)
    expect(company.body.company?.name).toBe('Offline Co')
  })

  test('after kill -9, the hub starts again on the same DATA_DIR with the data intact', async () => {
    const dir = migratedDataDir()
    const port = await freePort()
    const crashed = hub(dir, port, { direct: true })
    await crashed.waitHealthy()
    const created = await setup(dir, 'Durable Co', 'ops@durable.test')
    expect((await crashed.stop('SIGKILL')).signal).toBe('SIGKILL')
    // The crash left its lock and socket behind: the next hub must see them as stale.
    expect(existsSync(join(dir, 'hub.lock'))).toBe(true)

    const restarted = hub(dir, port, { direct: true })
    await restarted.waitHealthy()
    const company = await getCompany(restarted, created.api_id, created.api_token)
    expect(company.status).toBe(200)
    expect(company.body.company?.name).toBe('Durable Co')
    // And the replaced admin socket answers.
    const second = await setup(dir, 'Second Co', 'ops@second.test')
    expect((await getCompany(restarted, second.api_id, second.api_token)).body.company?.name).toBe(
      'Second Co',
    )
  })
})

describe('sb', { timeout: 120_000 }, () => {
  test('rejects bad arguments with a readable message and exit code 2', async () => {
    const dir = dataDir()
    const cases: [string[], string][] = [
      [['setup', '--company', 'X', '--email', 'not-an-email', '--password', 'a long password'], '--email'],
      [
        ['setup', '--company', 'X', '--email', 'a@b.test', '--password', 'short'],
        '--password must be at least 10',
      ],
      [['setup', '--company', '  ', '--email', 'a@b.test', '--password', 'a long password'], '--company'],
      [['setup', '--email', 'a@b.test', '--password', 'a long password'], '--company is required'],
      [['setup', '--company', 'X', '--bogus'], 'bogus'],
      [['numbers:reject', '12'], '--reason is required'],
      [['numbers:approve', 'twelve'], '<number id> must be a number id'],
      [['numbers:pending', '--limit', '0'], '--limit must be 1 to 1000'],
      [['frobnicate'], 'unknown command "frobnicate"'],
    ]
    const results = await Promise.all(cases.map(([args]) => runSb(dir, args)))
    cases.forEach(([args, message], i) => {
      expect({ args, code: results[i]!.code }).toEqual({ args, code: 2 })
      expect(results[i]!.stderr).toContain(message)
    })
    // Nothing was created, and no lock left behind.
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false)
    expect(existsSync(join(dir, 'postgres'))).toBe(false)
  })

  test('--help lists the commands', async () => {
    const res = await runSb(dataDir(), ['--help'])
    expect(res.code).toBe(0)
    for (const command of [
      'setup',
      'api-keys:create',
      'migrate',
      'jobs:failed',
      'jobs:retry',
      'numbers:pending',
      'numbers:approve',
      'numbers:reject',
    ])
      expect(res.stdout).toContain(command)
    // The queues jobs:failed and jobs:retry take: every queue of the job registry.
    expect(hubQueues).toEqual(expect.arrayContaining(['webhooks', 'calls', 'mail']))
    expect(res.stdout).toContain(`Queues: ${hubQueues.join(', ')}.`)
  })

  test('migrate prepares a fresh directory and exits', async () => {
    const dir = dataDir()
    const res = await runSb(dir, ['migrate'])
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('Database migrated')
    expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true)
    expect(existsSync(join(dir, 'hub.lock'))).toBe(false)
  })
})
