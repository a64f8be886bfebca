import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { oneTimeTokens, users, userTokens } from '../../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const HOUR = 3_600_000
const PASSWORD = 'correct horse battery staple'
let seq = 0
const email = (tag = 'user') => `${tag}-${++seq}-${Date.now().toString(36)}@example.test`

/** The token of the last link mailed to `to`, read from the mail as the user would. */
function linkToken(to: string, path: string): string {
  const mail = hub.mailer.lastTo(to)
  expect(mail, `no mail to ${to}`).toBeDefined()
  const match = new RegExp(`http://hub\\.test${path.replace(/[/?]/g, '\\$&')}\\?token=([\\w-]+)`).exec(
    mail!.text,
  )
  expect(match, mail!.text).not.toBeNull()
  return match![1]!
}

async function invite(company: TestCompany, body: Record<string, unknown> = {}) {
  const address = email('invitee')
  const res = await hub.call('POST', '/v1/users', { auth: company.basic, body: { email: address, ...body } })
  expect(res.status).toBe(201)
  return { user: res.body.user, token: linkToken(address, '/invitations/accept') }
}

const accept = (body: Record<string, unknown>) => hub.call('POST', '/v1/auth/invitations/accept', { body })
const login = (emailAddress: string, password: string) =>
  hub.call('POST', '/v1/auth/login', { body: { email: emailAddress, password } })

describe('invitation → password → session', () => {
  it('lets an invited user choose a password, sign in, call the API and sign out', async () => {
    const company = await hub.createCompany()
    const { user, token } = await invite(company, { first_name: 'Jane' })

    const accepted = await accept({ token, password: PASSWORD, last_name: 'Doe' })
    expect(accepted.status).toBe(200)
    expect(accepted.body).toMatchObject({
      token: expect.stringMatching(/^sbs_/),
      expires_at: new Date(hub.clock.now().getTime() + 336 * HOUR).toISOString(),
      user: { id: user.id, name: 'Jane Doe', invitation_status: 'accepted' },
    })
    const me = await hub.call('GET', '/v1/me', { auth: `Bearer ${accepted.body.token}` })
    expect(me.status).toBe(200)
    expect(me.body.user.email).toBe(user.email)

    const session = await login(user.email.toUpperCase(), PASSWORD)
    expect(session.status).toBe(200)
    expect(session.body.user.id).toBe(user.id)
    const bearer = `Bearer ${session.body.token}`
    expect((await hub.call('GET', '/v1/me', { auth: bearer })).status).toBe(200)
    // An agent session is no admin.
    expect((await hub.call('GET', '/v1/users', { auth: bearer })).status).toBe(403)

    expect((await hub.call('POST', '/v1/auth/logout', { auth: bearer })).status).toBe(204)
    expect((await hub.call('GET', '/v1/me', { auth: bearer })).status).toBe(403)
    // The other session lives on.
    expect((await hub.call('GET', '/v1/me', { auth: `Bearer ${accepted.body.token}` })).status).toBe(200)
  })

  it('accepts a link once only', async () => {
    const company = await hub.createCompany()
    const { token } = await invite(company)
    expect((await accept({ token, password: PASSWORD })).status).toBe(200)
    const again = await accept({ token, password: 'another long password' })
    expect(again.status).toBe(400)
    expect(again.body.field).toBe('token')
    expect(again.body.message).toMatch(/already used/)
  })

  it('refuses an expired link with a clear message', async () => {
    const company = await hub.createCompany()
    const { user, token } = await invite(company)
    const restore = hub.clock.now()
    try {
      hub.clock.advance(72 * HOUR - 1000)
      hub.clock.advance(1000)
      const res = await accept({ token, password: PASSWORD })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ field: 'token' })
      expect(res.body.message).toMatch(/expired; ask an admin/)
      expect((await login(user.email, PASSWORD)).status).toBe(401)
    } finally {
      hub.clock.set(restore)
    }
  })

  it('still accepts a link just before it expires', async () => {
    const company = await hub.createCompany()
    const { token } = await invite(company)
    const restore = hub.clock.now()
    try {
      hub.clock.advance(72 * HOUR - 1000)
      expect((await accept({ token, password: PASSWORD })).status).toBe(200)
    } finally {
      hub.clock.set(restore)
    }
  })

  it('follows INVITATION_TTL_HOURS', async () => {
    const short = await createTestHub({ env: { INVITATION_TTL_HOURS: '1' } })
    try {
      const company = await short.createCompany()
      const address = email()
      await short.call('POST', '/v1/users', { auth: company.basic, body: { email: address } })
      const mail = short.mailer.lastTo(address)!
      expect(mail.text).toContain('expires in 1 hours')
      const token = /token=([\w-]+)/.exec(mail.text)![1]
      short.clock.advance(HOUR)
      const res = await short.call('POST', '/v1/auth/invitations/accept', {
        body: { token, password: PASSWORD },
      })
      expect(res.status).toBe(400)
      expect(res.body.message).toMatch(/expired/)
    } finally {
      await short.close()
    }
  })

  it('answers 400 naming the field for bad input', async () => {
    const company = await hub.createCompany()
    const { token } = await invite(company)
    for (const [body, field] of [
      [{ password: PASSWORD }, 'token'],
      [{ token: 'sbi_nope', password: PASSWORD }, 'token'],
      [{ token }, 'password'],
      [{ token, password: 'short' }, 'password'],
      [{ token, password: 'x'.repeat(257) }, 'password'],
      [{ token, password: PASSWORD, first_name: 7 }, 'first_name'],
    ] as const) {
      const res = await accept(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field).toBe(field)
    }
    // None of it used the link up.
    expect((await accept({ token, password: PASSWORD })).status).toBe(200)
  })
})

describe('POST /v1/auth/login', () => {
  it('answers the same 401 to a wrong password, an unknown email and a pending invitation', async () => {
    const company = await hub.createCompany()
    const { user } = await invite(company)
    const admin = await hub.userById(company.adminUserId)
    const answers = [
      await login(admin!.email, 'wrong password!'),
      await login('nobody@example.test', 'wrong password!'),
      await login(user.email, 'wrong password!'),
    ]
    for (const res of answers) {
      expect(res.status).toBe(401)
      expect({ ...res.body, request_id: undefined }).toEqual({
        message: 'Invalid email or password',
        code: 'unauthorized',
        request_id: undefined,
      })
    }
    const ok = await login(admin!.email, 'correct horse battery')
    expect(ok.status).toBe(200)
    expect(ok.body.user).toMatchObject({ id: company.adminUserId, is_admin: true })
    expect((await hub.call('GET', '/v1/users', { auth: `Bearer ${ok.body.token}` })).status).toBe(200)
  })

  it('expires sessions after SESSION_TTL_HOURS', async () => {
    const company = await hub.createCompany()
    const admin = await hub.userById(company.adminUserId)
    const ok = await login(admin!.email, 'correct horse battery')
    const bearer = `Bearer ${ok.body.token}`
    const restore = hub.clock.now()
    try {
      hub.clock.advance(14 * 24 * HOUR - 1000)
      expect((await hub.call('GET', '/v1/me', { auth: bearer })).status).toBe(200)
      hub.clock.advance(1000)
      expect((await hub.call('GET', '/v1/me', { auth: bearer })).status).toBe(403)
    } finally {
      hub.clock.set(restore)
    }
  })

  it('answers 400 naming the field for bad input', async () => {
    for (const [body, field] of [
      [{ password: 'x' }, 'email'],
      [{ email: 'a@example.test' }, 'password'],
      [{ email: 'a@example.test', password: '' }, 'password'],
      [{ email: 42, password: 'x' }, 'email'],
      [{ email: 'a@example.test', password: 'x', company_id: '1' }, 'company_id'],
      [{ email: 'a@example.test', password: 'x', company_id: 0 }, 'company_id'],
      [{ email: 'a@example.test', password: 'x', company_id: 1.5 }, 'company_id'],
    ] as const) {
      const res = await hub.call('POST', '/v1/auth/login', { body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe(field)
    }
    expect((await hub.call('POST', '/v1/auth/login', { body: 'not json' })).status).toBe(400)
  })
})

describe('request body size', () => {
  it('answers 413 to a JSON body over 1 MB, before credentials or validation', async () => {
    const huge = JSON.stringify({ email: 'someone@example.test', password: 'x'.repeat(1024 * 1024) })
    const res = await hub.call('POST', '/v1/auth/login', { body: huge })
    expect(res.status).toBe(413)
    expect(res.body).toMatchObject({ code: 'payload_too_large', field: '(body)' })
    const company = await hub.createCompany()
    const authed = await hub.call('POST', '/v1/teams', {
      auth: company.basic,
      body: { name: 'n'.repeat(1024 * 1024) },
    })
    expect(authed.status).toBe(413)
    // Ordinary bodies are untouched.
    expect((await login('someone@example.test', 'x'.repeat(200))).status).toBe(401)
  })
})

describe('POST /v1/auth/logout', () => {
  it('answers 403 to an API key (nothing to sign out)', async () => {
    const company = await hub.createCompany()
    expect((await hub.call('POST', '/v1/auth/logout', { auth: company.basic })).status).toBe(403)
    expect((await hub.call('GET', '/v1/company', { auth: company.basic })).status).toBe(200)
  })

  securityCases(() => hub, { method: 'POST', path: () => '/v1/auth/logout' })
})

describe('password reset', () => {
  const forgot = (address: string) =>
    hub.call('POST', '/v1/auth/password/forgot', { body: { email: address } })
  const reset = (body: Record<string, unknown>) => hub.call('POST', '/v1/auth/password/reset', { body })

  it('mails a link that sets a new password and signs every session out', async () => {
    const company = await hub.createCompany('Acme Reset')
    const admin = (await hub.userById(company.adminUserId))!
    const before = hub.mailer.sent.length
    const res = await forgot(admin.email.toUpperCase())
    expect(res.status).toBe(202)
    expect(hub.mailer.sent.length).toBe(before + 1)
    expect(hub.mailer.lastTo(admin.email)?.subject).toBe('Reset your Switchboard password (Acme Reset)')
    const token = linkToken(admin.email, '/password/reset')

    const done = await reset({ token, password: 'a brand new password' })
    expect(done.status).toBe(200)
    expect(done.body.user.id).toBe(admin.id)
    expect((await hub.call('GET', '/v1/me', { auth: `Bearer ${done.body.token}` })).status).toBe(200)
    expect((await hub.call('GET', '/v1/me', { auth: company.adminBearer })).status).toBe(403)
    // Another user's credentials are untouched.
    expect((await hub.call('GET', '/v1/me', { auth: company.agentBearer })).status).toBe(200)
    expect((await login(admin.email, 'correct horse battery')).status).toBe(401)
    expect((await login(admin.email, 'a brand new password')).status).toBe(200)

    const again = await reset({ token, password: 'yet another password' })
    expect(again.status).toBe(400)
    expect(again.body.field).toBe('token')
  })

  it('answers 202 to an unknown email and sends nothing', async () => {
    const before = hub.mailer.sent.length
    const res = await forgot('nobody-here@example.test')
    expect(res.status).toBe(202)
    expect(res.body).toEqual({ message: 'If this email belongs to a user, a reset link is on its way.' })
    expect(hub.mailer.sent.length).toBe(before)
  })

  it('expires the link after 1 hour', async () => {
    const company = await hub.createCompany()
    const admin = (await hub.userById(company.adminUserId))!
    await forgot(admin.email)
    const token = linkToken(admin.email, '/password/reset')
    const restore = hub.clock.now()
    try {
      hub.clock.advance(HOUR)
      const res = await reset({ token, password: 'a brand new password' })
      expect(res.status).toBe(400)
      expect(res.body.message).toMatch(/expired/)
      expect((await login(admin.email, 'correct horse battery')).status).toBe(200)
    } finally {
      hub.clock.set(restore)
    }
  })

  it('sends at most one mail a minute, and only the newest link works', async () => {
    const company = await hub.createCompany()
    const admin = (await hub.userById(company.adminUserId))!
    const mailsTo = () => hub.mailer.sent.filter((m) => m.to === admin.email).length
    await forgot(admin.email)
    const first = linkToken(admin.email, '/password/reset')
    await forgot(admin.email)
    expect(mailsTo()).toBe(1)
    const restore = hub.clock.now()
    try {
      hub.clock.advance(61_000)
      await forgot(admin.email)
      expect(mailsTo()).toBe(2)
      const second = linkToken(admin.email, '/password/reset')
      expect((await reset({ token: first, password: 'a brand new password' })).status).toBe(400)
      expect((await reset({ token: second, password: 'a brand new password' })).status).toBe(200)
    } finally {
      hub.clock.set(restore)
    }
  })

  it('lets an invited user who lost the invitation set a password', async () => {
    const company = await hub.createCompany()
    const { user, token: invitation } = await invite(company)
    await forgot(user.email)
    const token = linkToken(user.email, '/password/reset')
    const res = await reset({ token, password: 'a brand new password' })
    expect(res.status).toBe(200)
    expect(res.body.user.invitation_status).toBe('accepted')
    // The invitation link no longer sets a password behind the user's back.
    expect((await accept({ token: invitation, password: 'another long password' })).status).toBe(400)
  })

  it('answers 400 naming the field for bad input', async () => {
    for (const body of [{}, { email: 'not-an-email' }, { email: 5 }]) {
      const res = await hub.call('POST', '/v1/auth/password/forgot', { body })
      expect(res.status).toBe(400)
      expect(res.body.field).toBe('email')
    }
    for (const [body, field] of [
      [{ password: 'a brand new password' }, 'token'],
      [{ token: 'sbr_unknown', password: 'a brand new password' }, 'token'],
      [{ token: 'sbr_unknown', password: 'short' }, 'password'],
    ] as const) {
      const res = await reset(body)
      expect(res.status).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  it('stops the links mailed to a user’s old address working once an admin changes it', async () => {
    const company = await hub.createCompany()
    const { user, token: invitation } = await invite(company)
    await forgot(user.email)
    const resetToken = linkToken(user.email, '/password/reset')
    const changed = await hub.call('PUT', `/v1/users/${user.id}`, {
      auth: company.basic,
      body: { email: email('corrected') },
    })
    expect(changed.status).toBe(200)
    expect((await accept({ token: invitation, password: 'another long password' })).status).toBe(400)
    expect((await reset({ token: resetToken, password: 'another long password' })).status).toBe(400)
  })
})

describe('mailed links without PUBLIC_URL', () => {
  let bare: TestHub
  beforeAll(async () => {
    bare = await createTestHub({ env: { PUBLIC_URL: '' } })
  })
  afterAll(() => bare.close())

  it('never build their origin from the Host header of the unauthenticated request', async () => {
    const company = await bare.createCompany()
    const admin = (await bare.userById(company.adminUserId))!
    // What a node server sees when an attacker sends `Host: attacker.example`.
    const res = await bare.app.request('http://attacker.example/v1/auth/password/forgot', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: admin.email }),
    })
    expect(res.status).toBe(202)
    const text = bare.mailer.lastTo(admin.email)?.text ?? ''
    expect(text).not.toContain('attacker.example')
    expect(text).toMatch(/http:\/\/localhost:3000\/password\/reset\?token=sbr_/)
  })

  it('never build invitation links from the Host header of the admin request', async () => {
    const company = await bare.createCompany()
    // What a node server sees when the request says `Host: evil.example.com`.
    const asEvil = (method: string, path: string, body?: unknown) =>
      bare.app.request(`http://evil.example.com${path}`, {
        method,
        headers: {
          host: 'evil.example.com',
          authorization: company.basic,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      })
    const invited = email('invitee')
    const created = await asEvil('POST', '/v1/users', { email: invited })
    expect(created.status).toBe(201)
    const { user } = (await created.json()) as { user: { id: number } }
    const mails = () => bare.mailer.sent.filter((m) => m.to === invited || m.to.startsWith('moved-'))
    expect(mails()).toHaveLength(1)
    expect((await asEvil('POST', `/v1/users/${user.id}/invitation`)).status).toBe(204)
    // A pending user whose email changes is invited again, at the new address.
    const moved = `moved-${email()}`
    expect((await asEvil('PUT', `/v1/users/${user.id}`, { email: moved })).status).toBe(200)
    expect(bare.mailer.lastTo(moved)).toBeDefined()
    expect(mails()).toHaveLength(3)
    for (const mail of mails()) {
      expect(mail.text).not.toContain('evil.example.com')
      expect(mail.html).not.toContain('evil.example.com')
      expect(mail.text).toMatch(/http:\/\/localhost:3000\/invitations\/accept\?token=sbi_/)
    }
    // The link works on the hub itself.
    const token = /token=([\w-]+)/.exec(bare.mailer.lastTo(moved)!.text)![1]
    const accepted = await bare.call('POST', '/v1/auth/invitations/accept', {
      body: { token, password: PASSWORD },
    })
    expect(accepted.status).toBe(200)
    expect(accepted.body.user.email).toBe(moved)
  })
})

describe('credentials of a user whose password, email or role changes, or who is deleted', () => {
  const reset = (body: Record<string, unknown>) => hub.call('POST', '/v1/auth/password/reset', { body })
  const forgot = (address: string) =>
    hub.call('POST', '/v1/auth/password/forgot', { body: { email: address } })
  const works = async (bearer: string) => (await hub.call('GET', '/v1/me', { auth: bearer })).status

  /** A signed-in user with a session and an agent token minted from it, as the extension gets one. */
  async function signedIn(company: TestCompany, body: Record<string, unknown> = {}) {
    const { user, token } = await invite(company, body)
    const session = await accept({ token, password: PASSWORD })
    expect(session.status).toBe(200)
    const bearer = `Bearer ${session.body.token}`
    const minted = await hub.call('POST', '/v1/me/agent_tokens', { auth: bearer, body: { name: 'Chrome' } })
    expect(minted.status).toBe(201)
    const agent = `Bearer ${minted.body.agent_token.token}`
    expect([await works(bearer), await works(agent)]).toEqual([200, 200])
    return { user, bearer, agent }
  }

  it('revokes every session and agent token on a password reset', async () => {
    const company = await hub.createCompany()
    const { user, bearer, agent } = await signedIn(company)
    const other = await login(user.email, PASSWORD)
    await forgot(user.email)
    const done = await reset({
      token: linkToken(user.email, '/password/reset'),
      password: 'a brand new password',
    })
    expect(done.status).toBe(200)
    expect(await works(bearer)).toBe(403)
    expect(await works(agent)).toBe(403)
    expect(await works(`Bearer ${other.body.token}`)).toBe(403)
    expect(await works(`Bearer ${done.body.token}`)).toBe(200)
    const list = await hub.call('GET', '/v1/me/agent_tokens', { auth: `Bearer ${done.body.token}` })
    expect(list.body.agent_tokens).toEqual([])
  })

  it('revokes sessions, agent tokens and mailed links when an admin changes the email', async () => {
    const company = await hub.createCompany()
    const { user, bearer, agent } = await signedIn(company)
    await forgot(user.email)
    const resetToken = linkToken(user.email, '/password/reset')
    const moved = email('moved')
    const res = await hub.call('PUT', `/v1/users/${user.id}`, { auth: company.basic, body: { email: moved } })
    expect(res.status).toBe(200)
    expect(await works(bearer)).toBe(403)
    expect(await works(agent)).toBe(403)
    expect((await reset({ token: resetToken, password: 'another long password' })).status).toBe(400)
    // The user signs in again, with the new address; an accepted user is not invited again.
    expect(hub.mailer.lastTo(moved)).toBeUndefined()
    const again = await login(moved, PASSWORD)
    expect(again.status).toBe(200)
    // Saving the same address (in another case) changes nothing and revokes nothing.
    const same = await hub.call('PUT', `/v1/users/${user.id}`, {
      auth: company.basic,
      body: { email: moved.toUpperCase(), first_name: 'Jo' },
    })
    expect(same.status).toBe(200)
    expect(await works(`Bearer ${again.body.token}`)).toBe(200)
  })

  it('revokes the sessions and agent tokens of an admin who is made agent', async () => {
    const company = await hub.createCompany()
    const { user, bearer, agent } = await signedIn(company, { is_admin: true })
    expect((await hub.call('GET', '/v1/users', { auth: agent })).status).toBe(200)
    const res = await hub.call('PUT', `/v1/users/${user.id}`, {
      auth: company.basic,
      body: { is_admin: false },
    })
    expect(res.status).toBe(200)
    expect(await works(bearer)).toBe(403)
    expect(await works(agent)).toBe(403)
    // Signing in again gives an agent's session; a promotion revokes nothing.
    const session = await login(user.email, PASSWORD)
    const fresh = `Bearer ${session.body.token}`
    expect((await hub.call('GET', '/v1/users', { auth: fresh })).status).toBe(403)
    await hub.call('PUT', `/v1/users/${user.id}`, { auth: company.basic, body: { is_admin: true } })
    expect((await hub.call('GET', '/v1/users', { auth: fresh })).status).toBe(200)
  })

  it('keeps the session of an admin who changes their own email or role', async () => {
    const company = await hub.createCompany()
    const { user, bearer, agent } = await signedIn(company, { is_admin: true })
    const res = await hub.call('PUT', `/v1/users/${user.id}`, {
      auth: bearer,
      body: { email: email('self'), is_admin: false },
    })
    expect(res.status).toBe(200)
    expect(await works(bearer)).toBe(200)
    expect(await works(agent)).toBe(403)
  })

  it('revokes everything of a deleted user', async () => {
    const company = await hub.createCompany()
    const { user, bearer, agent } = await signedIn(company)
    await forgot(user.email)
    const resetToken = linkToken(user.email, '/password/reset')
    expect((await hub.call('DELETE', `/v1/users/${user.id}`, { auth: company.basic })).status).toBe(204)
    expect(await works(bearer)).toBe(403)
    expect(await works(agent)).toBe(403)
    expect((await reset({ token: resetToken, password: 'another long password' })).status).toBe(400)
    expect((await login(user.email, PASSWORD)).status).toBe(401)
  })

  it('revokes a pending user’s invitation when the email changes, and invites the new address', async () => {
    const company = await hub.createCompany()
    const { user, token } = await invite(company)
    const moved = email('moved')
    await hub.call('PUT', `/v1/users/${user.id}`, { auth: company.basic, body: { email: moved } })
    expect((await accept({ token, password: PASSWORD })).status).toBe(400)
    const fresh = linkToken(moved, '/invitations/accept')
    expect((await accept({ token: fresh, password: PASSWORD })).status).toBe(200)
  })
})

describe('storage', () => {
  it('keeps only hashes of tokens and argon2id hashes of passwords', async () => {
    const company = await hub.createCompany()
    const { user, token } = await invite(company)
    const accepted = await accept({ token, password: PASSWORD })
    const [row] = await hub.db.select().from(users).where(eq(users.id, user.id))
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/)
    expect(row!.passwordHash).not.toContain(PASSWORD)
    const links = await hub.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user.id))
    const sessions = await hub.db.select().from(userTokens).where(eq(userTokens.userId, user.id))
    const stored = JSON.stringify([links, sessions])
    expect(stored).not.toContain(token)
    expect(stored).not.toContain(accepted.body.token)
  })
})
