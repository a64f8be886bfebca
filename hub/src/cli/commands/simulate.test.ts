import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type CallScript,
  type FakeNumber,
  startFakeSandboxHub,
} from '../../../test/helpers/fake-sandbox-hub.ts'
import { DomainError } from '../../core/errors.ts'
import { createHubApi } from '../hub-api.ts'
import { UsageError } from '../usage-error.ts'
import {
  type CompanyNumber,
  defaultCaller,
  formatSummary,
  matchCompanyNumber,
  parseSimulateArgs,
  progressLine,
  runSimulation,
  type SimulateOptions,
  type SimulationSummary,
} from './simulate.ts'

const KEY = { apiId: 'sbk_test', apiToken: 'sbt_secret' }
const SUPPORT: FakeNumber = { id: 11, name: 'Support', e164: '+14155550100', country: 'US', userIds: [5, 6] }
const LONDON: FakeNumber = { id: 12, name: 'London IVR', e164: '+442079460000', country: 'GB', userIds: [7] }
const numbers: CompanyNumber[] = [SUPPORT, LONDON]

const fakes: { close(): Promise<void> }[] = []
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close()
})

async function fake(
  options: Omit<Parameters<typeof startFakeSandboxHub>[0], 'apiId' | 'apiToken' | 'numbers'>,
) {
  const hub = await startFakeSandboxHub({ ...KEY, numbers: [SUPPORT, LONDON], ...options })
  fakes.push(hub)
  return { hub, api: createHubApi({ base: hub.url, ...KEY }) }
}

const options = (over: Partial<SimulateOptions>): SimulateOptions => ({
  to: '+1 415 555 0100',
  calls: 1,
  from: null,
  digits: null,
  device: null,
  concurrency: 1,
  timeoutSec: 60,
  json: false,
  ...over,
})

const answered: CallScript = { pollsUntilDone: 2, final: { answered_at: 1767225650 } }
const voicemail: CallScript = { pollsUntilDone: 1, final: { voicemail: 'http://hub/v1/call-assets/x' } }
const missed = (reason: string): CallScript => ({ pollsUntilDone: 1, final: { missed_call_reason: reason } })

describe('sb simulate: arguments', () => {
  it('takes defaults: one call, one at a time, callers generated, agents left as they are', () => {
    expect(parseSimulateArgs({ to: ' +1 415 555 0100 ' }, [])).toEqual({
      to: '+1 415 555 0100',
      calls: 1,
      from: null,
      digits: null,
      device: null,
      concurrency: 1,
      timeoutSec: 600,
      json: false,
    })
  })

  it('reads every flag: --from in any format becomes E.164, --answer-after alone keeps a 30 s talk', () => {
    const o = parseSimulateArgs(
      {
        to: '020 7946 0000',
        calls: '20',
        from: '+33 6 12 34 56 78',
        digits: '1',
        'answer-after': '3',
        concurrency: '50',
        timeout: '90',
        json: true,
      },
      [],
    )
    expect(o).toMatchObject({ calls: 20, from: '+33612345678', digits: '1', timeoutSec: 90, json: true })
    expect(o.device).toEqual({ answer_after_sec: 3, talk_sec: 30 })
    expect(o.concurrency).toBe(20) // never more workers than calls
    expect(parseSimulateArgs({ to: 'x', from: 'Anonymous', talk: '12' }, []).from).toBe('anonymous')
    expect(parseSimulateArgs({ to: 'x', talk: '12' }, []).device).toEqual({
      answer_after_sec: 0,
      talk_sec: 12,
    })
  })

  it.each([
    [{}, '--to is required'],
    [{ to: 'x', calls: '0' }, '--calls must be a whole number from 1 to 10000'],
    [{ to: 'x', calls: '2.5' }, '--calls must be'],
    [{ to: 'x', concurrency: '101' }, '--concurrency must be a whole number from 1 to 100'],
    [{ to: 'x', from: '12' }, '--from must be a phone number'],
    [{ to: 'x', digits: '1a' }, '--digits must be keys 0-9, * or #'],
    [{ to: 'x', 'answer-after': '-1' }, '--answer-after must be'],
    [{ to: 'x', talk: '0' }, '--talk must be a whole number from 1 to 3600'],
  ])('refuses %j: %s', (values, message) => {
    expect(() => parseSimulateArgs(values, [])).toThrow(UsageError)
    expect(() => parseSimulateArgs(values, [])).toThrow(message)
  })

  it('refuses positional arguments', () => {
    expect(() => parseSimulateArgs({ to: 'x' }, ['+14155550100'])).toThrow('use --to')
  })
})

describe('sb simulate: the number called', () => {
  it.each(['+14155550100', '+1 (415) 555-0100', '001 415 555 0100', '(415) 555-0100', '415.555.0100'])(
    'finds the US number from %s',
    (dialled) => {
      expect(matchCompanyNumber(dialled, numbers).id).toBe(11)
    },
  )

  it.each(['+44 20 7946 0000', '0044 20 7946 0000', '020 7946 0000', '02079460000'])(
    'finds the London number from %s',
    (dialled) => {
      expect(matchCompanyNumber(dialled, numbers).id).toBe(12)
    },
  )

  it("refuses a number that is not the company's, listing the company's numbers", () => {
    const refuse = () => matchCompanyNumber('+33 1 76 11 11 11', numbers)
    expect(refuse).toThrow(DomainError)
    expect(refuse).toThrow("+33 1 76 11 11 11 is not one of the company's numbers")
    expect(refuse).toThrow('+1 415 555 0100 (Support), +44 20 7946 0000 (London IVR)')
    expect(() => matchCompanyNumber('+14155550100', [])).toThrow('the company has no number yet')
  })
})

describe('sb simulate: a run against the simulation API', () => {
  it('places the calls C at a time, follows each to its end and sums up the outcomes', async () => {
    const scripts = [
      answered,
      answered,
      voicemail,
      missed('no_available_agent'),
      answered,
      missed('agents_did_not_answer'),
    ]
    const { hub, api } = await fake({ script: (i) => scripts[i]! })
    const progress: number[] = []
    const summary = await runSimulation(
      api,
      options({ to: '(415) 555-0100', calls: 6, concurrency: 3, digits: '1' }),
      {
        pollMs: 5,
        onProgress: (s) => progress.push(s.answered + s.voicemail + s.missed),
      },
    )
    expect(summary).toMatchObject({
      number: { id: 11, name: 'Support', e164: '+14155550100' },
      calls: 6,
      answered: 3,
      voicemail: 1,
      missed: 2,
      missed_by_reason: { no_available_agent: 1, agents_did_not_answer: 1 },
      failed: 0,
      unfinished: 0,
    })
    expect(summary.call_ids.sort()).toEqual([1000, 1001, 1002, 1003, 1004, 1005])
    expect(progress).toEqual([1, 2, 3, 4, 5, 6])
    expect(hub.maxInFlight()).toBe(3)
    const placed = [...hub.calls.values()]
    expect(placed.every((c) => c.to === '+14155550100' && c.digits.join() === '1' && !c.hungUp)).toBe(true)
    expect(new Set(placed.map((c) => c.from)).size).toBe(6) // a different caller each time
    expect(hub.devices.size).toBe(0) // no --answer-after / --talk: the agents are left alone

    const text = formatSummary(summary).join('\n')
    expect(text).toMatch(/^6 call\(s\) to \+1 415 555 0100 \(Support, number 11\) in [\d.]+ s:/)
    expect(text).toContain('  answered    3\n  voicemail   1\n  missed      2\n')
    expect(text).toMatch(/no_available_agent\s+1/)
    expect(text).toMatch(/agents_did_not_answer\s+1/)
  })

  it("puts the number's users on simulated devices with --answer-after / --talk for the run, then back as they were; uses --from", async () => {
    const { hub, api } = await fake({ script: () => answered })
    // User 5 had a device of their own; user 6 none.
    hub.devices.set(5, { answer_after_sec: 4, talk_sec: 60 })
    const during: unknown[] = []
    const summary = await runSimulation(
      api,
      options({ calls: 2, from: '+33612345678', device: { answer_after_sec: 2, talk_sec: 15 } }),
      { pollMs: 5, onProgress: () => during.push(Object.fromEntries(hub.devices)) },
    )
    expect(summary.answered).toBe(2)
    expect(during[0]).toEqual({
      5: { answer_after_sec: 2, talk_sec: 15 },
      6: { answer_after_sec: 2, talk_sec: 15 },
    })
    expect(Object.fromEntries(hub.devices)).toEqual({ 5: { answer_after_sec: 4, talk_sec: 60 } })
    expect([...hub.calls.values()].map((c) => c.from)).toEqual(['+33612345678', '+33612345678'])
    expect(hub.requests.indexOf('PUT /v1/sandbox/agents/6')).toBeLessThan(
      hub.requests.indexOf('POST /v1/sandbox/calls'),
    )
    expect(summary).toMatchObject({ interrupted: false, device_errors: [] })
  })

  it('puts back every user it can when one fails, and says which were not', async () => {
    const { hub, api } = await fake({ script: () => answered })
    hub.devices.set(6, { answer_after_sec: 4, talk_sec: 60 })
    const summary = await runSimulation(
      api,
      options({ calls: 1, device: { answer_after_sec: 2, talk_sec: 15 } }),
      { pollMs: 5, onProgress: () => hub.agentRefusals.set(5, 500) },
    )
    expect(summary.answered).toBe(1)
    // User 5's restore failed; user 6 got their own device back all the same.
    expect(hub.devices.get(6)).toEqual({ answer_after_sec: 4, talk_sec: 60 })
    expect(summary.device_errors).toEqual([expect.stringMatching(/^user 5: .*HTTP 500/)])
    expect(formatSummary(summary).join('\n')).toContain(
      'The simulated devices could not all be put back: user 5:',
    )
  })

  it('leaves the devices on a hub that cannot tell which each user had, and says so, rather than removing theirs', async () => {
    const { hub, api } = await fake({ script: () => answered, withoutDeviceReads: true })
    hub.devices.set(5, { answer_after_sec: 4, talk_sec: 60 })
    const summary = await runSimulation(
      api,
      options({ calls: 1, device: { answer_after_sec: 2, talk_sec: 15 } }),
      { pollMs: 5 },
    )
    expect(Object.fromEntries(hub.devices)).toEqual({
      5: { answer_after_sec: 2, talk_sec: 15 },
      6: { answer_after_sec: 2, talk_sec: 15 },
    })
    expect(hub.requests.filter((r) => r.startsWith('DELETE'))).toEqual([])
    expect(summary.device_errors).toEqual([
      expect.stringMatching(/^user 5: left on the simulated device/),
      expect.stringMatching(/^user 6: left on the simulated device/),
    ])
  })

  it('stops when interrupted: no more calls, the callers in flight hang up, the devices are put back', async () => {
    const { hub, api } = await fake({
      script: () => ({
        pollsUntilDone: Number.POSITIVE_INFINITY,
        final: {},
        onHangup: { missed_call_reason: 'short_abandoned' },
      }),
    })
    const stop = new AbortController()
    const running = runSimulation(
      api,
      options({ calls: 10, concurrency: 2, device: { answer_after_sec: 2, talk_sec: 15 } }),
      { pollMs: 5, signal: stop.signal },
    )
    while (hub.calls.size < 2) await new Promise((r) => setTimeout(r, 5))
    stop.abort()
    const summary = await running
    expect(summary).toMatchObject({ interrupted: true, missed: 2, missed_by_reason: { short_abandoned: 2 } })
    expect(hub.calls.size).toBe(2)
    expect([...hub.calls.values()].every((c) => c.hungUp)).toBe(true)
    expect(hub.devices.size).toBe(0)
    expect(formatSummary(summary)[0]).toMatch(/^2 of 10 call\(s\) to .* s, interrupted:$/)
  })

  it('hangs up for the caller after --timeout; a call the hub still does not end is unfinished', async () => {
    const scripts: CallScript[] = [
      {
        pollsUntilDone: Number.POSITIVE_INFINITY,
        final: {},
        onHangup: { missed_call_reason: 'short_abandoned' },
      },
      { pollsUntilDone: Number.POSITIVE_INFINITY, final: {}, onHangup: null },
    ]
    const { hub, api } = await fake({ script: (i) => scripts[i]! })
    const summary = await runSimulation(api, options({ calls: 2, concurrency: 2, timeoutSec: 0.2 }), {
      pollMs: 10,
    })
    expect(summary).toMatchObject({ missed: 1, missed_by_reason: { short_abandoned: 1 }, unfinished: 1 })
    expect([...hub.calls.values()].every((c) => c.hungUp)).toBe(true)
    expect(formatSummary(summary).join('\n')).toContain('unfinished  1')
  })

  it('counts calls the hub refuses as failed, with its message, and goes on with the others', async () => {
    const { api } = await fake({ script: (i) => (i === 1 ? { refuse: 'from: is blacklisted' } : voicemail) })
    const summary = await runSimulation(api, options({ calls: 3 }), { pollMs: 5 })
    expect(summary).toMatchObject({ voicemail: 2, failed: 1 })
    expect(summary.errors).toEqual(['POST /v1/sandbox/calls: from: is blacklisted'])
    expect(formatSummary(summary).join('\n')).toContain('failed      1')
  })

  it('counts calls a saturated hub refuses (503) as busy, apart from failures', async () => {
    const { api } = await fake({
      script: (i) =>
        i === 0 ? { busy: 'The hub is saturated: the call engine runs 4.2 s behind' } : answered,
    })
    const summary = await runSimulation(api, options({ calls: 2 }), { pollMs: 5 })
    expect(summary).toMatchObject({ answered: 1, busy: 1, failed: 0, errors: [] })
    expect(formatSummary(summary).join('\n')).toContain('busy        1  (the hub was saturated')
  })

  it('waits out a 429 (Retry-After) instead of failing', async () => {
    const { hub, api } = await fake({ script: () => answered, rateLimitFirst: 1 })
    const summary = await runSimulation(api, options({}), { pollMs: 5 })
    expect(summary.answered).toBe(1)
    expect(hub.requests.filter((r) => r === 'GET /v1/numbers')).toHaveLength(2)
  })

  it('stops with the reason when the API key is refused or the number is not the company’s', async () => {
    const { hub } = await fake({ script: () => answered })
    const wrong = createHubApi({ base: hub.url, apiId: 'sbk_test', apiToken: 'wrong' })
    await expect(runSimulation(wrong, options({}))).rejects.toMatchObject({ code: 'unauthorized' })
    const { api } = await fake({ script: () => answered })
    await expect(runSimulation(api, options({ to: '+33 1 76 11 11 11' }))).rejects.toMatchObject({
      code: 'not_found',
    })
    expect(hub.calls.size).toBe(0)
  })
})

describe('sb simulate: display', () => {
  it('draws a progress bar of the calls done so far', () => {
    const s: SimulationSummary = {
      number: { id: 1, name: 'n', e164: '+14155550100' },
      calls: 10,
      answered: 3,
      voicemail: 1,
      missed: 1,
      missed_by_reason: { no_available_agent: 1 },
      busy: 0,
      failed: 0,
      errors: [],
      unfinished: 0,
      interrupted: false,
      device_errors: [],
      call_ids: [],
      duration_sec: 1,
    }
    expect(progressLine(s, 10)).toBe('[#####.....] 5/10  answered 3 · voicemail 1 · missed 1')
    expect(progressLine({ ...s, busy: 2 }, 10)).toBe(
      '[#######...] 7/10  answered 3 · voicemail 1 · missed 1 · busy 2',
    )
  })

  it('generates distinct, valid French mobile callers', () => {
    expect(defaultCaller(0)).toBe('+33612000000')
    expect(defaultCaller(41)).toBe('+33612000041')
  })
})

describe('sb simulate (the command)', () => {
  it('runs against the hub given by --hub with SB_API_KEY and prints the summary; bad flags exit 2', async () => {
    const { hub } = await fake({ script: (i) => (i === 0 ? answered : missed('no_available_agent')) })
    const root = join(import.meta.dirname, '../../../..')
    const run = (args: string[], env: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'hub/src/cli/sb.ts'), ...args], {
          env: { ...process.env, LOG_LEVEL: 'silent', ...env },
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (c: Buffer) => {
          stdout += c
        })
        child.stderr.on('data', (c: Buffer) => {
          stderr += c
        })
        child.on('close', (code) => done({ code, stdout, stderr }))
      })
    const ok = await run(
      ['simulate', '--to', '+1 415-555-0100', '--calls', '2', '--hub', hub.url, '--json'],
      {
        SB_API_KEY: `${KEY.apiId}:${KEY.apiToken}`,
      },
    )
    expect(ok.stderr).toBe('')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({
      calls: 2,
      answered: 1,
      missed: 1,
      missed_by_reason: { no_available_agent: 1 },
    })
    const { hub: refusing } = await fake({ script: () => ({ refuse: 'from: is blacklisted' }) })
    const none = await run(['simulate', '--to', '+14155550100', '--calls', '2', '--hub', refusing.url], {
      SB_API_KEY: `${KEY.apiId}:${KEY.apiToken}`,
    })
    expect(none.code).toBe(1)
    expect(none.stdout).toContain('failed      2')
    expect(none.stderr).toContain(
      'sb simulate: no call could be placed: POST /v1/sandbox/calls: from: is blacklisted',
    )
    const { hub: saturated } = await fake({
      script: () => ({ busy: 'The hub is saturated and takes no new call for now; retry in a moment' }),
    })
    const allBusy = await run(['simulate', '--to', '+14155550100', '--calls', '2', '--hub', saturated.url], {
      SB_API_KEY: `${KEY.apiId}:${KEY.apiToken}`,
    })
    expect(allBusy.code).toBe(1)
    expect(allBusy.stdout).toContain('busy        2')
    expect(allBusy.stderr).toContain(
      'sb simulate: no call could be placed: the hub was saturated and refused them',
    )
    const noKey = await run(['simulate', '--to', '+14155550100', '--hub', hub.url], { SB_API_KEY: '' })
    expect(noKey.code).toBe(2)
    expect(noKey.stderr).toContain('--api-key <api_id>:<api_token> (or SB_API_KEY) is required')
  }, 60_000)

  it('Ctrl-C (delivered twice, as `npm run` does) hangs up the calls in flight, puts the devices back, prints the summary and exits 130', async () => {
    const { hub } = await fake({
      script: () => ({
        pollsUntilDone: Number.POSITIVE_INFINITY,
        final: {},
        onHangup: { missed_call_reason: 'short_abandoned' },
      }),
    })
    hub.devices.set(5, { answer_after_sec: 4, talk_sec: 60 })
    const root = join(import.meta.dirname, '../../../..')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'hub/src/cli/sb.ts'), 'simulate', '--to', '+14155550100'].concat([
        '--calls',
        '10',
        '--concurrency',
        '2',
        '--answer-after',
        '2',
        '--hub',
        hub.url,
      ]),
      { cwd: root, env: { ...process.env, LOG_LEVEL: 'silent', SB_API_KEY: `${KEY.apiId}:${KEY.apiToken}` } },
    )
    let stdout = ''
    child.stdout.on('data', (c: Buffer) => {
      stdout += c
    })
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)))
    const deadline = Date.now() + 30_000
    while (hub.calls.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(hub.devices.get(5)).toEqual({ answer_after_sec: 2, talk_sec: 30 })
    child.kill('SIGINT')
    child.kill('SIGINT')
    expect(await exited).toBe(130)
    expect(stdout).toMatch(/^2 of 10 call\(s\) to .*, interrupted:/)
    expect(stdout).toContain('short_abandoned             2')
    expect([...hub.calls.values()].every((c) => c.hungUp)).toBe(true)
    expect(Object.fromEntries(hub.devices)).toEqual({ 5: { answer_after_sec: 4, talk_sec: 60 } })
  }, 60_000)
})
