import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  fetchMe,
  signInWithPassword,
  signInWithToken,
  startCall,
} from '../../../extension/src/lib/hub-client.ts'
import { createRealtimeConnection } from '../../../extension/src/lib/realtime-connection.ts'
import { createTestHub, type TestHub } from '../helpers/hub.ts'
import { tokenOf } from '../helpers/realtime-client.ts'

/**
 * The extension's background code (HTTP client and realtime connection) in Node against a real
 * hub on loopback: what an agent sees on the options page for each way sign-in can fail, and a
 * token revoked while the connection is open.
 */
let hub: TestHub
let hubUrl: string
beforeAll(async () => {
  hub = await createTestHub()
  hubUrl = await hub.listen()
})
afterAll(() => hub.close())

const PASSWORD = 'correct horse battery'
const adminEmail = async (userId: number) => (await hub.userById(userId))!.email

describe('signing in from the extension', () => {
  it('mints an agent token named for the extension from email and password', async () => {
    const company = await hub.createCompany()
    const result = await signInWithPassword(hubUrl, await adminEmail(company.adminUserId), PASSWORD)
    expect(result).toMatchObject({ ok: true, user: { id: company.adminUserId, name: 'Ada Admin' } })
    if (!result.ok) return
    expect(result.token).toMatch(/^sba_/)
    const tokens = await hub.call('GET', '/v1/me/agent_tokens', { auth: `Bearer ${result.token}` })
    expect(tokens.body.agent_tokens.map((t: { name: string }) => t.name)).toEqual(['Chrome extension'])
  })

  it('names each failure: wrong password, unreachable hub, not a hub, revoked token', async () => {
    const company = await hub.createCompany()
    const email = await adminEmail(company.adminUserId)
    expect(await signInWithPassword(hubUrl, email, 'not the password')).toMatchObject({
      ok: false,
      code: 'wrong_credentials',
    })
    expect(await signInWithPassword('http://127.0.0.1:9', email, PASSWORD)).toMatchObject({
      ok: false,
      code: 'unreachable',
    })
    // A path of the hub that is not its root: something answers, but no hub API there.
    expect(await signInWithPassword(`${hubUrl}/v1/numbers`, email, PASSWORD)).toMatchObject({
      ok: false,
      code: 'not_a_hub',
    })
    const token = tokenOf(company.agentBearer)
    expect((await signInWithToken(hubUrl, token)).ok).toBe(true)
    expect(await hub.call('POST', '/v1/auth/logout', { auth: company.agentBearer })).toMatchObject({
      status: 204,
    })
    expect(await signInWithToken(hubUrl, token)).toMatchObject({ ok: false, code: 'token_revoked' })
  })

  it("refuses a click-to-call from a line the agent may not use, with the hub's reason; another company's user is not found", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const me = await fetchMe(hubUrl, tokenOf(company.agentBearer))
    expect(me).toMatchObject({ ok: true, user: { id: company.agentUserId, numbers: [] } })
    const result = await startCall(hubUrl, tokenOf(company.agentBearer), company.agentUserId, {
      number_id: 999_999,
      to: '+33612345678',
    })
    expect(result).toEqual({ ok: false, code: 'bad_request', message: 'Number not found' })
    // Another company's user id: not found, never acted on.
    const foreign = await startCall(hubUrl, tokenOf(company.agentBearer), other.agentUserId, {
      number_id: 1,
      to: '+33612345678',
    })
    expect(foreign).toEqual({ ok: false, code: 'bad_request', message: 'User not found' })
  })
})

describe('the realtime connection', () => {
  it('signs in with hello, then stops for good when the token is revoked', async () => {
    const company = await hub.createCompany()
    const statuses: string[] = []
    const rejected: string[] = []
    let hello = false
    const conn = createRealtimeConnection({
      hubUrl,
      token: tokenOf(company.agentBearer),
      // ws's client has the browser's onopen/onmessage/onclose properties.
      createSocket: (url) => new WebSocket(url) as unknown as globalThis.WebSocket,
      handlers: {
        onMessage: (m) => {
          if (m.type === 'hello') hello = m.user.id === company.agentUserId
        },
        onStatus: (s) => statuses.push(s),
        onRejected: (r) => rejected.push(r),
      },
    })
    conn.start()
    await expect.poll(() => hello, { timeout: 10_000 }).toBe(true)
    expect(await conn.send({ type: 'set_status', status: 'do_not_disturb' })).toEqual({ ok: true })
    expect(await hub.call('POST', '/v1/auth/logout', { auth: company.agentBearer })).toMatchObject({
      status: 204,
    })
    await expect.poll(() => rejected, { timeout: 10_000 }).toEqual(['revoked'])
    expect(statuses).toEqual(['connecting', 'online', 'offline'])
    conn.stop()
  })
})
