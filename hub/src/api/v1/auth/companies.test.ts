import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

let seq = 0
const email = () => `person-${++seq}-${Date.now().toString(36)}@example.test`

const login = (body: Record<string, unknown>) => hub.call('POST', '/v1/auth/login', { body })

/** Invites `address` into the company and accepts with `password`; answers the user id. */
async function join(company: TestCompany, address: string, password: string): Promise<number> {
  const res = await hub.call('POST', '/v1/users', { auth: company.basic, body: { email: address } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  const token = /token=([\w-]+)/.exec(hub.mailer.lastTo(address)!.text)![1]
  const accepted = await hub.call('POST', '/v1/auth/invitations/accept', { body: { token, password } })
  expect(accepted.status).toBe(200)
  return res.body.user.id
}

describe('one email address in several companies', () => {
  it('lets another company invite an address a company has, and neither learns of the other', async () => {
    const a = await hub.createCompany('Alpha')
    const b = await hub.createCompany('Beta')
    const address = email()
    const inA = await hub.call('POST', '/v1/users', { auth: a.basic, body: { email: address } })
    expect(inA.status).toBe(201)
    const inB = await hub.call('POST', '/v1/users', { auth: b.basic, body: { email: address.toUpperCase() } })
    expect(inB.status).toBe(201)
    expect(inB.body.user.id).not.toBe(inA.body.user.id)
    expect(Object.keys(inB.body.user).sort()).toEqual(Object.keys(inA.body.user).sort())
    // Each company sees its own user only, by id or by email.
    const listA = await hub.call('GET', '/v1/users', { auth: a.basic })
    expect(listA.body.users.map((u: { id: number }) => u.id)).not.toContain(inB.body.user.id)
    const byEmail = await hub.call('GET', `/v1/users/${encodeURIComponent(address)}`, { auth: b.basic })
    expect(byEmail.body.user.id).toBe(inB.body.user.id)
    expect((await hub.call('GET', `/v1/users/${inA.body.user.id}`, { auth: b.basic })).status).toBe(404)
    // Both invitations went out, each naming its own company.
    const mails = hub.mailer.sent.filter((m) => m.to === address)
    expect(mails.map((m) => m.subject)).toEqual([
      "You're invited to join Alpha on Switchboard",
      "You're invited to join Beta on Switchboard",
    ])
    // An address changed to one another company uses is fine too.
    const other = await hub.call('POST', '/v1/users', { auth: b.basic, body: { email: email() } })
    const moved = await hub.call('PUT', `/v1/users/${other.body.user.id}`, {
      auth: b.basic,
      body: { email: (await hub.userById(a.adminUserId))!.email },
    })
    expect(moved.status).toBe(200)
  })

  it('still refuses an address already used in the same company (409 naming email)', async () => {
    const a = await hub.createCompany()
    const address = email()
    await hub.call('POST', '/v1/users', { auth: a.basic, body: { email: address } })
    const again = await hub.call('POST', '/v1/users', {
      auth: a.basic,
      body: { email: address.toUpperCase() },
    })
    expect(again.status).toBe(409)
    expect(again.body.field).toBe('email')
  })

  it('signs in to the one company whose password matches', async () => {
    const a = await hub.createCompany('Alpha')
    const b = await hub.createCompany('Beta')
    const address = email()
    const inA = await join(a, address, 'password of alpha')
    const inB = await join(b, address, 'password of beta!')
    const toA = await login({ email: address, password: 'password of alpha' })
    expect(toA.status).toBe(200)
    expect(toA.body.user.id).toBe(inA)
    const toB = await login({ email: address, password: 'password of beta!' })
    expect(toB.status).toBe(200)
    expect(toB.body.user.id).toBe(inB)
    const me = await hub.call('GET', '/v1/me', { auth: `Bearer ${toB.body.token}` })
    expect(me.body.user.id).toBe(inB)
    // company_id restricts the check to that company's account.
    expect((await login({ email: address, password: 'password of alpha', company_id: b.id })).status).toBe(
      401,
    )
    expect((await login({ email: address, password: 'password of alpha', company_id: a.id })).status).toBe(
      200,
    )
    expect((await login({ email: address, password: 'password of alpha', company_id: 999_999 })).status).toBe(
      401,
    )
  })

  it('offers a choice of the companies whose password matched, and only those', async () => {
    const a = await hub.createCompany('Alpha')
    const b = await hub.createCompany('Beta')
    const c = await hub.createCompany('Gamma')
    const address = email()
    const shared = 'the same password everywhere'
    const inA = await join(a, address, shared)
    await join(b, address, 'a different password')
    const inC = await join(c, address, shared)
    const res = await login({ email: address, password: shared })
    expect(res.status).toBe(300)
    expect(res.body).toEqual({
      message: 'This email and password open several companies: send company_id to choose one',
      companies: [
        { id: a.id, name: 'Alpha' },
        { id: c.id, name: 'Gamma' },
      ],
    })
    expect(JSON.stringify(res.body)).not.toContain('Beta')
    expect(res.body.token).toBeUndefined()
    const chosen = await login({ email: address, password: shared, company_id: c.id })
    expect(chosen.status).toBe(200)
    expect(chosen.body.user.id).toBe(inC)
    expect((await login({ email: address, password: shared, company_id: a.id })).body.user.id).toBe(inA)
    // A wrong password still answers the one 401.
    const wrong = await login({ email: address, password: 'none of them' })
    expect(wrong.status).toBe(401)
    expect(wrong.body.message).toBe('Invalid email or password')
  })

  it('mails one reset link per account, each naming its company and setting only that password', async () => {
    const a = await hub.createCompany('Alpha')
    const b = await hub.createCompany('Beta')
    const address = email()
    await join(a, address, 'password of alpha')
    const inB = await join(b, address, 'password of beta!')
    const before = hub.mailer.sent.length
    const res = await hub.call('POST', '/v1/auth/password/forgot', { body: { email: address } })
    expect(res.status).toBe(202)
    expect(res.body).toEqual({ message: 'If this email belongs to a user, a reset link is on its way.' })
    const mails = hub.mailer.sent.slice(before)
    expect(mails.map((m) => [m.to, m.subject]).sort()).toEqual([
      [address, 'Reset your Switchboard password (Alpha)'],
      [address, 'Reset your Switchboard password (Beta)'],
    ])
    const betaMail = mails.find((m) => m.subject.includes('Beta'))!
    expect(betaMail.text).toContain('for Beta')
    const token = /token=([\w-]+)/.exec(betaMail.text)![1]
    const reset = await hub.call('POST', '/v1/auth/password/reset', {
      body: { token, password: 'a new beta password' },
    })
    expect(reset.status).toBe(200)
    expect(reset.body.user.id).toBe(inB)
    expect((await login({ email: address, password: 'password of alpha' })).status).toBe(200)
    expect((await login({ email: address, password: 'a new beta password' })).body.user.id).toBe(inB)
  })
})
