import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { users } from '../../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

describe('GET /v1/me', () => {
  it('answers the user of a session or agent token', async () => {
    const company = await hub.createCompany()
    const agent = await hub.call('GET', '/v1/me', { auth: company.agentBearer })
    expect(agent.status).toBe(200)
    expect(agent.body.user).toMatchObject({ id: company.agentUserId, name: 'Alan Agent', is_admin: false })
    const admin = await hub.call('GET', '/v1/me', { auth: company.adminBearer })
    expect(admin.body.user).toMatchObject({ id: company.adminUserId, is_admin: true })
  })

  it('answers 403 to an API key, which is no user', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/me', { auth: company.basic })
    expect(res.status).toBe(403)
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/me' })
})

describe('GET /v1/me/directory', () => {
  it("gives an agent their colleagues' names and availability and the teams, no more; never another company's", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const team = await hub.call('POST', '/v1/teams', { auth: company.basic, body: { name: 'Support' } })
    expect(team.status).toBe(201)
    await hub.call('POST', '/v1/teams', { auth: other.basic, body: { name: 'Other company team' } })
    await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'available' },
    })

    const res = await hub.call('GET', '/v1/me/directory', { auth: company.agentBearer })
    expect(res.status).toBe(200)
    const ids = res.body.users.map((u: { id: number }) => u.id).sort()
    expect(ids).toEqual([company.adminUserId, company.agentUserId].sort())
    expect(res.body.users.find((u: { id: number }) => u.id === company.agentUserId)).toEqual({
      id: company.agentUserId,
      name: 'Alan Agent',
      availability: 'available',
    })
    expect(res.body.teams).toEqual([{ id: team.body.team.id, name: 'Support' }])
    expect(JSON.stringify(res.body)).not.toContain('@')
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/me/directory' })
})

describe('PUT /v1/me/availability', () => {
  it('sets the live availability others see', async () => {
    const company = await hub.createCompany()
    for (const availability of ['available', 'do_not_disturb', 'offline', 'available'] as const) {
      const res = await hub.call('PUT', '/v1/me/availability', {
        auth: company.agentBearer,
        body: { availability },
      })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ availability })
      const seen = await hub.call('GET', `/v1/users/${company.agentUserId}/availability`, {
        auth: company.basic,
      })
      expect(seen.body).toEqual({ availability })
    }
  })

  it('answers do_not_disturb when the working hours say the agent is off', async () => {
    const company = await hub.createCompany()
    await hub.call('PUT', `/v1/users/${company.agentUserId}`, {
      auth: company.basic,
      body: { availability_status: 'custom', working_hours: { sunday: [{ from: '00:00', to: '24:00' }] } },
    })
    const res = await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'available' },
    })
    expect(res.body).toEqual({ availability: 'do_not_disturb' })
  })

  it('answers 400 naming availability for states the agent cannot set', async () => {
    const company = await hub.createCompany()
    for (const body of [{ availability: 'in_call' }, { availability: 'busy' }, {}]) {
      const res = await hub.call('PUT', '/v1/me/availability', { auth: company.agentBearer, body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe('availability')
    }
  })

  it('refuses a change during a call (405) and allows ending wrap-up early', async () => {
    const company = await hub.createCompany()
    await hub.db.update(users).set({ presence: 'in_call' }).where(eq(users.id, company.agentUserId))
    const during = await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'offline' },
    })
    expect(during.status).toBe(405)
    await hub.db.update(users).set({ presence: 'after_call_work' }).where(eq(users.id, company.agentUserId))
    const after = await hub.call('PUT', '/v1/me/availability', {
      auth: company.agentBearer,
      body: { availability: 'available' },
    })
    expect(after.body).toEqual({ availability: 'available' })
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: () => '/v1/me/availability',
    body: { availability: 'offline' },
  })
})

describe('POST /v1/me/password', () => {
  const PASSWORD = 'correct horse battery'
  const works = async (auth: string) => (await hub.call('GET', '/v1/me', { auth })).status
  const login = async (email: string, password: string) =>
    hub.call('POST', '/v1/auth/login', { body: { email, password } })

  /** The admin signed in twice, with an agent token minted from the first session. */
  async function signedIn() {
    const company = await hub.createCompany()
    const admin = (await hub.userById(company.adminUserId))!
    const first = `Bearer ${(await login(admin.email, PASSWORD)).body.token}`
    const second = `Bearer ${(await login(admin.email, PASSWORD)).body.token}`
    const minted = await hub.call('POST', '/v1/me/agent_tokens', { auth: first, body: { name: 'Chrome' } })
    return { company, email: admin.email, first, second, agent: `Bearer ${minted.body.agent_token.token}` }
  }

  it('changes the password, keeps this session and revokes the other sessions and agent tokens', async () => {
    const { email, first, second, agent } = await signedIn()
    await hub.call('POST', '/v1/auth/password/forgot', { body: { email } })
    const resetToken = /token=([\w-]+)/.exec(hub.mailer.lastTo(email)!.text)![1]
    const res = await hub.call('POST', '/v1/me/password', {
      auth: first,
      body: { current_password: PASSWORD, new_password: 'my new long password' },
    })
    expect(res.status).toBe(204)
    expect(await works(first)).toBe(200)
    expect(await works(second)).toBe(403)
    expect(await works(agent)).toBe(403)
    expect((await login(email, PASSWORD)).status).toBe(401)
    expect((await login(email, 'my new long password')).status).toBe(200)
    // A reset link asked for before the change no longer sets the password.
    const reset = await hub.call('POST', '/v1/auth/password/reset', {
      body: { token: resetToken, password: 'someone elses password' },
    })
    expect(reset.status).toBe(400)
  })

  it('answers 400 naming current_password when it is wrong, and changes nothing', async () => {
    const { email, first, second } = await signedIn()
    const res = await hub.call('POST', '/v1/me/password', {
      auth: first,
      body: { current_password: 'not my password', new_password: 'my new long password' },
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      field: 'current_password',
      message: 'current_password: is not your current password',
    })
    expect(await works(second)).toBe(200)
    expect((await login(email, PASSWORD)).status).toBe(200)
  })

  it('answers 429 after 10 wrong current passwords from one address', async () => {
    const { first } = await signedIn()
    const attempt = (current_password: string) =>
      hub.call('POST', '/v1/me/password', {
        auth: first,
        body: { current_password, new_password: 'my new long password' },
        clientAddress: '192.0.2.44',
      })
    for (let i = 0; i < 10; i++) expect((await attempt(`guess ${i}`)).status).toBe(400)
    const refused = await attempt(PASSWORD)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  it('answers 400 naming the field for bad input', async () => {
    const { first } = await signedIn()
    for (const [body, field] of [
      [{ new_password: 'my new long password' }, 'current_password'],
      [{ current_password: PASSWORD }, 'new_password'],
      [{ current_password: PASSWORD, new_password: 'short' }, 'new_password'],
      [{ current_password: PASSWORD, new_password: 'x'.repeat(257) }, 'new_password'],
      [{ current_password: PASSWORD, new_password: PASSWORD }, 'new_password'],
    ] as const) {
      const res = await hub.call('POST', '/v1/me/password', { auth: first, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  it('answers 403 to an agent token and to an API key', async () => {
    const { company, agent } = await signedIn()
    const body = { current_password: PASSWORD, new_password: 'my new long password' }
    expect((await hub.call('POST', '/v1/me/password', { auth: agent, body })).status).toBe(403)
    expect((await hub.call('POST', '/v1/me/password', { auth: company.basic, body })).status).toBe(403)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: () => '/v1/me/password',
    body: { current_password: 'whatever it is', new_password: 'my new long password' },
  })
})

describe('agent tokens', () => {
  it('creates a token shown once, lists it without secret, and revokes it at once', async () => {
    const company = await hub.createCompany()
    hub.clock.advance(1000)
    const created = await hub.call('POST', '/v1/me/agent_tokens', {
      auth: company.adminBearer,
      body: { name: '  Chrome on my laptop ' },
    })
    expect(created.status).toBe(201)
    const token = created.body.agent_token
    expect(token).toEqual({
      id: expect.any(Number),
      name: 'Chrome on my laptop',
      created_at: hub.clock.now().toISOString(),
      last_used_at: null,
      token: expect.stringMatching(/^sba_[\w-]{32}$/),
    })

    const me = await hub.call('GET', '/v1/me', { auth: `Bearer ${token.token}` })
    expect(me.status).toBe(200)
    expect(me.body.user.id).toBe(company.adminUserId)

    const list = await hub.call('GET', '/v1/me/agent_tokens', { auth: company.adminBearer })
    expect(list.status).toBe(200)
    expect(list.body.agent_tokens).toEqual([
      {
        id: token.id,
        name: 'Chrome on my laptop',
        created_at: token.created_at,
        last_used_at: expect.any(String),
      },
    ])
    expect(list.body.meta).toMatchObject({ count: 1, total: 1 })
    expect(JSON.stringify(list.body)).not.toContain(token.token)

    const del = await hub.call('DELETE', `/v1/me/agent_tokens/${token.id}`, { auth: company.adminBearer })
    expect(del.status).toBe(204)
    expect((await hub.call('GET', '/v1/me', { auth: `Bearer ${token.token}` })).status).toBe(403)
    expect(
      (await hub.call('GET', '/v1/me/agent_tokens', { auth: company.adminBearer })).body.agent_tokens,
    ).toEqual([])
    const again = await hub.call('DELETE', `/v1/me/agent_tokens/${token.id}`, { auth: company.adminBearer })
    expect(again.status).toBe(404)
  })

  it('lists only the caller’s agent tokens, never sessions', async () => {
    const company = await hub.createCompany()
    const list = await hub.call('GET', '/v1/me/agent_tokens', { auth: company.agentBearer })
    expect(list.body.agent_tokens).toHaveLength(1) // the helper's agent token
    const admins = await hub.call('GET', '/v1/me/agent_tokens', { auth: company.adminBearer })
    expect(admins.body.agent_tokens).toEqual([]) // the admin only has a session
  })

  it('only mints tokens from a dashboard session, not from an agent token', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/me/agent_tokens', {
      auth: company.agentBearer,
      body: { name: 'x' },
    })
    expect(res.status).toBe(403)
  })

  it('lets the extension sign its own agent token out', async () => {
    const company = await hub.createCompany()
    const out = await hub.call('POST', '/v1/auth/logout', { auth: company.agentBearer })
    expect(out.status).toBe(204)
    expect((await hub.call('GET', '/v1/me', { auth: company.agentBearer })).status).toBe(403)
  })

  it('answers 404 for another user’s token and 400 for bad input', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const otherList = await hub.call('GET', '/v1/me/agent_tokens', { auth: other.agentBearer })
    const otherId = otherList.body.agent_tokens[0].id
    for (const auth of [company.adminBearer, company.agentBearer]) {
      const res = await hub.call('DELETE', `/v1/me/agent_tokens/${otherId}`, { auth })
      expect(res.status).toBe(404)
    }
    // A teammate's token is not yours either.
    const teammate = (await hub.call('GET', '/v1/me/agent_tokens', { auth: company.agentBearer })).body
      .agent_tokens[0]
    expect(
      (await hub.call('DELETE', `/v1/me/agent_tokens/${teammate.id}`, { auth: company.adminBearer })).status,
    ).toBe(404)
    expect((await hub.call('GET', '/v1/me', { auth: other.agentBearer })).status).toBe(200)

    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }]) {
      const res = await hub.call('POST', '/v1/me/agent_tokens', { auth: company.adminBearer, body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe('name')
    }
    for (const id of ['abc', '0', '99999999999']) {
      const res = await hub.call('DELETE', `/v1/me/agent_tokens/${id}`, { auth: company.adminBearer })
      expect(res.status, id).toBe(400)
      expect(res.body.field).toBe('id')
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/me/agent_tokens' })
  securityCases(() => hub, { method: 'POST', path: () => '/v1/me/agent_tokens', body: { name: 'x' } })
  securityCases(() => hub, { method: 'DELETE', path: () => '/v1/me/agent_tokens/1' })
})
