import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const PASSWORD = 'correct horse battery'
// The limits the README documents.
const WINDOW_MS = 15 * 60_000
const PER_ADDRESS_AND_EMAIL = 10
const PER_ADDRESS = 100
const PER_EMAIL_FROM_NEW_ADDRESSES = 50
let seq = 0
/** A fresh address per call, so tests never share a client's counts. */
const address = () => `198.51.${Math.floor(++seq / 250)}.${(seq % 250) + 1}`
const unknownEmail = () => `nobody-${++seq}-${Date.now().toString(36)}@example.test`

const login = (email: string, password: string, clientAddress: string, extra: Record<string, unknown> = {}) =>
  hub.call('POST', '/v1/auth/login', { body: { email, password, ...extra }, clientAddress })

async function adminOf() {
  const company = await hub.createCompany()
  const admin = (await hub.userById(company.adminUserId))!
  return { company, email: admin.email }
}

/** Moves the fake clock, and puts it back after the test. */
async function later<T>(ms: number, then: () => Promise<T>): Promise<T> {
  const restore = hub.clock.now()
  try {
    hub.clock.advance(ms)
    return await then()
  } finally {
    hub.clock.set(restore)
  }
}

describe('login throttling gives an attacker no lock-out switch', () => {
  it('refuses the guessing address after 10 failures, never the account’s owner elsewhere', async () => {
    const { email } = await adminOf()
    const attacker = address()
    const victim = address()
    for (let i = 0; i < PER_ADDRESS_AND_EMAIL; i++) {
      expect((await login(email, `guess ${i}`, attacker)).status).toBe(401)
    }
    const refused = await login(email, PASSWORD, attacker)
    expect(refused.status).toBe(429)
    expect(refused.body.message).toMatch(/Too many failed sign-ins; retry in \d+ s/)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    // The owner signs in from their own address, never having signed in from it before.
    expect((await login(email, PASSWORD, victim)).status).toBe(200)
    // The attacker's address may still try other emails, and this one once the window ends.
    expect((await login(unknownEmail(), 'guess', attacker)).status).toBe(401)
    expect((await later(WINDOW_MS, () => login(email, PASSWORD, attacker))).status).toBe(200)
  })

  it('answers the same 429 for an email nobody has, so it says nothing about existence', async () => {
    const attacker = address()
    const ghost = unknownEmail()
    for (let i = 0; i < PER_ADDRESS_AND_EMAIL; i++) await login(ghost, 'guess', attacker)
    const res = await login(ghost, 'guess', attacker)
    expect(res.status).toBe(429)
    expect(res.body.message).toMatch(/Too many failed sign-ins/)
  })

  it('stops an address spraying passwords over many emails, and only that address', {
    timeout: 180_000,
  }, async () => {
    const { email } = await adminOf()
    const sprayer = address()
    for (let i = 0; i < PER_ADDRESS; i++) {
      expect((await login(unknownEmail(), 'Summer2026!', sprayer)).status).toBe(401)
    }
    expect((await login(unknownEmail(), 'Summer2026!', sprayer)).status).toBe(429)
    // Even a right password: the address is refused before any password is checked.
    expect((await login(email, PASSWORD, sprayer)).status).toBe(429)
    expect((await login(email, PASSWORD, address())).status).toBe(200)
  })

  it('refuses new addresses, not the owner’s usual one, when one account is guessed from many', {
    timeout: 180_000,
  }, async () => {
    const { email } = await adminOf()
    const home = address()
    expect((await login(email, PASSWORD, home)).status).toBe(200)
    const ghost = unknownEmail()
    const perAddress = PER_ADDRESS_AND_EMAIL
    for (let n = 0; n < PER_EMAIL_FROM_NEW_ADDRESSES; n += perAddress) {
      const bot = address()
      for (let i = 0; i < perAddress; i++) {
        expect((await login(email, `guess ${n + i}`, bot)).status).toBe(401)
        await login(ghost, `guess ${n + i}`, bot)
      }
    }
    // A new address is refused, even with the right password, for the known and the unknown email alike.
    const newcomer = address()
    const refused = await login(email, PASSWORD, newcomer)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await login(ghost, PASSWORD, newcomer)).status).toBe(429)
    // The owner, from where they signed in before, is not locked out.
    expect((await login(email, PASSWORD, home)).status).toBe(200)
    // Once the window ends, new addresses may sign in again.
    expect((await later(WINDOW_MS, () => login(email, PASSWORD, newcomer))).status).toBe(200)
  })

  it('counts the socket’s address, not an X-Forwarded-For the client made up', async () => {
    const { email } = await adminOf()
    const attacker = address()
    for (let i = 0; i <= PER_ADDRESS_AND_EMAIL; i++) {
      const res = await hub.call('POST', '/v1/auth/login', {
        body: { email, password: 'guess' },
        clientAddress: attacker,
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      })
      expect(res.status).toBe(i < PER_ADDRESS_AND_EMAIL ? 401 : 429)
    }
  })

  it('counts the address the trusted proxy saw with TRUST_PROXY_HOPS', async () => {
    const proxied = await createTestHub({ env: { TRUST_PROXY_HOPS: '1' } })
    try {
      const company = await proxied.createCompany()
      const admin = (await proxied.userById(company.adminUserId))!
      const viaProxy = (forwardedFor: string, password: string) =>
        proxied.call('POST', '/v1/auth/login', {
          body: { email: admin.email, password },
          clientAddress: '10.0.0.2',
          headers: { 'x-forwarded-for': forwardedFor },
        })
      // The attacker prepends entries of their own choosing; the proxy appends the real address.
      for (let i = 0; i < PER_ADDRESS_AND_EMAIL; i++) {
        expect((await viaProxy(`192.0.2.${i + 1}, 203.0.113.66`, 'guess')).status).toBe(401)
      }
      expect((await viaProxy('192.0.2.200, 203.0.113.66', PASSWORD)).status).toBe(429)
      // Everyone else behind the same proxy signs in.
      expect((await viaProxy('203.0.113.77', PASSWORD)).status).toBe(200)
    } finally {
      await proxied.close()
    }
  })
})

describe('password hashing under a flood of logins', () => {
  it('refuses one address’s excess at once, and keeps serving other clients and /healthz', {
    timeout: 120_000,
  }, async () => {
    const { email } = await adminOf()
    const flooder = address()
    const flood = Array.from({ length: 60 }, () => login(unknownEmail(), 'guess', flooder))
    const good = login(email, PASSWORD, address())
    const health = hub.call('GET', '/healthz')
    const [goodRes, healthRes, ...floodRes] = await Promise.all([good, health, ...flood])
    expect(goodRes.status).toBe(200)
    expect(goodRes.body.token).toMatch(/^sbs_/)
    expect(healthRes.status).toBe(200)
    const statuses = floodRes.map((r) => r.status)
    expect(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(' '),
    ).toBe(true)
    const refused = floodRes.filter((r) => r.status === 429)
    // Most of the flood never reached argon2: this address has a share of 4 checks at a time.
    expect(refused.length).toBeGreaterThan(floodRes.length / 2)
    for (const r of refused) {
      expect(r.body.message).toMatch(/Too many password checks from your address at once/)
      expect(r.headers.get('retry-after')).toBe('1')
    }
  })

  it('puts an unknown email through the same gate as a known one', { timeout: 120_000 }, async () => {
    const { email } = await adminOf()
    const client = address()
    // Known and unknown emails share the address's share: neither skips the password check.
    const mixed = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(i % 2 ? email : unknownEmail(), 'guess', client)),
    )
    const refusedKnown = mixed.filter((r, i) => i % 2 === 1 && r.status === 429).length
    const refusedUnknown = mixed.filter((r, i) => i % 2 === 0 && r.status === 429).length
    expect(refusedKnown).toBeGreaterThan(0)
    expect(refusedUnknown).toBeGreaterThan(0)
  })
})
