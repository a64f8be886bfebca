import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { createAdminApp } from '../../admin/admin-app.ts'
import { DEMO_DEVICE, type DemoResult, runDemo } from '../../admin/demo.ts'
import type { AdminDeps } from '../../admin/operations.ts'
import { createLogger } from '../../core/logger.ts'
import { calls } from '../../db/schema/index.ts'
import { createSandboxCarrier } from '../../telephony/carrier/sandbox-carrier.ts'
import { formatDemo } from './demo.ts'

let hub: TestHub
let deps: AdminDeps
let demo: DemoResult
beforeAll(async () => {
  hub = await createTestHub()
  deps = {
    db: hub.db,
    clock: hub.clock,
    queue: async () => hub.queue,
    mailer: hub.mailer,
    publicUrl: () => 'http://hub.test',
    carrier: createSandboxCarrier(),
    logger: createLogger('silent'),
  }
  demo = await runDemo(deps, { company: 'Acme Demo' })
}, 60_000)
afterAll(() => hub.close())

const basic = (d: DemoResult) =>
  `Basic ${Buffer.from(`${d.api_key.api_id}:${d.api_key.api_token}`).toString('base64')}`

describe('sb demo', () => {
  it("gives an admin login that signs in, and an API key that reads the company's data", async () => {
    const login = await hub.call('POST', '/v1/auth/login', {
      body: { email: demo.admin.email, password: demo.admin.password },
    })
    expect(login.status).toBe(200)
    expect(login.body.user).toMatchObject({ id: demo.admin.user_id, is_admin: true })
    const company = await hub.call('GET', '/v1/company', { auth: basic(demo) })
    expect(company.body.company).toMatchObject({ id: demo.company_id, name: 'Acme Demo' })
  })

  it('makes two live numbers: a classic one with a three-step distribution, an IVR with three options', async () => {
    const auth = basic(demo)
    const [classic, ivr] = demo.numbers
    const c = (await hub.call('GET', `/v1/numbers/${classic!.id}`, { auth })).body.number
    expect(c).toMatchObject({
      type: 'classic',
      country: 'US',
      active: true,
      verification_state: 'not_required',
    })
    expect(c.e164_digits).toBe(classic!.e164)
    const [sales, support] = demo.teams
    const alice = demo.agents[0]!
    expect(c.settings.distribution.steps).toEqual([
      { type: 'user', user_id: alice.user_id, ring_time_sec: 20 },
      { type: 'team', team_id: sales!.id, ring_time_sec: 25, strategy: 'simultaneous' },
      { type: 'team', team_id: support!.id, ring_time_sec: 30, strategy: 'longest_idle' },
    ])
    expect(c.settings.voicemail_enabled).toBe(true)
    expect(c.settings.business_hours.mode).toBe('always_open')

    const i = (await hub.call('GET', `/v1/numbers/${ivr!.id}`, { auth })).body.number
    expect(i).toMatchObject({ type: 'ivr', is_ivr: true, country: 'GB', active: true })
    expect(
      i.settings.ivr.options.map((o: { key: string; destination: unknown }) => [o.key, o.destination]),
    ).toEqual([
      ['1', { type: 'team', team_id: sales!.id, ring_time_sec: 30, strategy: 'simultaneous' }],
      ['2', { type: 'team', team_id: support!.id, ring_time_sec: 30, strategy: 'simultaneous' }],
      ['3', { type: 'voicemail' }],
    ])
    expect(i.settings.messages.ivr_menu).toMatchObject({
      type: 'tts',
      text: expect.stringContaining('Press 1 for sales'),
    })
  })

  it('has agents in each status, in two teams, each with a working agent token', async () => {
    const auth = basic(demo)
    expect(demo.agents.map((a) => a.status)).toEqual([
      'available',
      'available',
      'available',
      'custom',
      'unavailable',
      'do_not_disturb',
    ])
    const live = await hub.call('GET', '/v1/users/availabilities?per_page=50', { auth })
    const availability = new Map(
      live.body.users.map((u: { id: number; availability: string }) => [u.id, u.availability]),
    )
    for (const a of demo.agents) {
      const user = (await hub.call('GET', `/v1/users/${a.user_id}`, { auth })).body.user
      expect(user.availability_status).toBe(a.status === 'do_not_disturb' ? 'available' : a.status)
      const me = await hub.call('GET', '/v1/me', { auth: `Bearer ${a.agent_token}` })
      expect(me.status).toBe(200)
      expect(me.body.user.id).toBe(a.user_id)
    }
    expect(availability.get(demo.agents[0]!.user_id)).toBe('available')
    expect(availability.get(demo.agents[5]!.user_id)).toBe('do_not_disturb')
    const teams = (await hub.call('GET', '/v1/teams', { auth })).body.teams
    expect(
      teams.map((t: { name: string; users: { id: number }[] }) => [t.name, t.users.map((u) => u.id).sort()]),
    ).toEqual([
      [
        'Sales',
        demo.agents
          .filter((a) => a.teams.includes('Sales'))
          .map((a) => a.user_id)
          .sort(),
      ],
      [
        'Support',
        demo.agents
          .filter((a) => a.teams.includes('Support'))
          .map((a) => a.user_id)
          .sort(),
      ],
    ])
    const tags = (await hub.call('GET', '/v1/tags?per_page=50', { auth })).body.tags.map(
      (t: { name: string }) => t.name,
    )
    expect(tags).toEqual(expect.arrayContaining(['Hot lead', 'Support issue', 'Billing', 'Callback Request']))
    // The available agents call out with the classic number by default (click-to-call).
    const alice = (await hub.call('GET', `/v1/users/${demo.agents[0]!.user_id}`, { auth })).body.user
    expect(alice.default_number_id).toBe(demo.numbers[0]!.id)
  })

  it('mails no invitation to the demo agents', () => {
    expect(hub.mailer.sent.filter((m) => m.to.endsWith('@demo.example'))).toEqual([])
  })

  it('puts the available agents on simulated devices: a call to the classic number rings Alice with no client open', async () => {
    const available = demo.agents.filter((a) => a.status === 'available').map((a) => a.user_id)
    expect(demo.simulated_devices).toEqual({ user_ids: available, device: DEMO_DEVICE })
    const auth = `Basic ${Buffer.from(`${demo.api_key.api_id}:${demo.api_key.api_token}`).toString('base64')}`
    const placed = await hub.call('POST', '/v1/sandbox/calls', {
      auth,
      body: { from: '+33612345678', to: demo.numbers[0]!.e164 },
    })
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)
    const [row] = await hub.db.select().from(calls).where(eq(calls.id, placed.body.call.id))
    expect(row!.ringing).toEqual([demo.agents[0]!.user_id])
  })

  it('prints the secrets once, the numbers, the agents and what to try next', () => {
    const text = formatDemo(demo, 'http://localhost:3000').join('\n')
    expect(text).toContain(`password:  ${demo.admin.password}`)
    expect(text).toContain(`api_token: ${demo.api_key.api_token}`)
    for (const a of demo.agents) expect(text).toContain(a.agent_token)
    expect(text).toContain(`${demo.numbers[0]!.digits}  "Sales line" (classic, id ${demo.numbers[0]!.id})`)
    expect(text).toContain(
      `SB_API_KEY=${demo.api_key.api_id}:${demo.api_key.api_token} npm run sb -- simulate --to "${demo.numbers[0]!.digits}"`,
    )
  })

  it('runs through the admin socket API too, and twice makes two separate companies', async () => {
    const admin = createAdminApp({ ...deps, logger: createLogger('silent') })
    const res = await admin.request('/demo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    })
    expect(res.status).toBe(201)
    const second = (await res.json()) as DemoResult
    expect(second.company_name).toBe('Demo Company')
    expect(second.company_id).not.toBe(demo.company_id)
    expect(second.numbers.map((n) => n.e164)).not.toEqual(demo.numbers.map((n) => n.e164))
    const login = await hub.call('POST', '/v1/auth/login', {
      body: { email: second.admin.email, password: second.admin.password },
    })
    expect(login.status).toBe(200)
    const bad = await admin.request('/demo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ company: '' }),
    })
    expect(bad.status).toBe(400)
  }, 60_000)
})
