import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { sha256 } from '../../core/hashing.ts'
import { apiKeys, userTokens } from '../../db/schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const basic = (apiId: string, token: string) => `Basic ${Buffer.from(`${apiId}:${token}`).toString('base64')}`

describe('verified credentials are kept a few seconds in memory', () => {
  it('serves a key it has just verified without reading it again (revoked behind the API, as by another hub process, it still works for a moment)', async () => {
    const company = await hub.createCompany()
    expect((await hub.call('GET', '/v1/company', { auth: company.basic })).status).toBe(200)
    await hub.db
      .update(apiKeys)
      .set({ revokedAt: hub.clock.now() })
      .where(and(eq(apiKeys.companyId, company.id), eq(apiKeys.apiId, company.apiId)))
    expect((await hub.call('GET', '/v1/company', { auth: company.basic })).status).toBe(200)
    // Another secret for the same api_id is still checked, and refused.
    const wrong = basic(company.apiId, 'sbt_not-the-token')
    expect((await hub.call('GET', '/v1/company', { auth: wrong })).status).toBe(403)
  })

  it('a key revoked through the API answers 403 on the very next request', async () => {
    const company = await hub.createCompany()
    const key = (await hub.call('POST', '/v1/api_keys', { auth: company.basic, body: { name: 'temp' } })).body
      .api_key
    const auth = basic(key.api_id, key.api_token)
    expect((await hub.call('GET', '/v1/company', { auth })).status).toBe(200)
    expect((await hub.call('DELETE', `/v1/api_keys/${key.id}`, { auth: company.basic })).status).toBe(204)
    expect((await hub.call('GET', '/v1/company', { auth })).status).toBe(403)
  })

  it('an agent token revoked by its owner, and a session signed out, answer 403 at once', async () => {
    const company = await hub.createCompany()
    const created = await hub.call('POST', '/v1/me/agent_tokens', {
      auth: company.adminBearer,
      body: { name: 'Chrome' },
    })
    expect(created.status).toBe(201)
    const agentAuth = `Bearer ${created.body.agent_token.token}`
    expect((await hub.call('GET', '/v1/me', { auth: agentAuth })).status).toBe(200)
    const revoke = await hub.call('DELETE', `/v1/me/agent_tokens/${created.body.agent_token.id}`, {
      auth: company.adminBearer,
    })
    expect(revoke.status).toBe(204)
    expect((await hub.call('GET', '/v1/me', { auth: agentAuth })).status).toBe(403)

    expect((await hub.call('GET', '/v1/me', { auth: company.adminBearer })).status).toBe(200)
    expect((await hub.call('POST', '/v1/auth/logout', { auth: company.adminBearer })).status).toBe(204)
    expect((await hub.call('GET', '/v1/me', { auth: company.adminBearer })).status).toBe(403)
  })

  it('a demoted admin loses admin rights at once, and a deleted user their tokens', async () => {
    const company = await hub.createCompany()
    const invite = async (email: string) => {
      const res = await hub.call('POST', '/v1/users', {
        auth: company.basic,
        body: { email, first_name: 'Sam', last_name: 'Second', is_admin: true },
      })
      expect(res.status).toBe(201)
      const userId = res.body.user.id as number
      return { userId, bearer: `Bearer ${await hub.issueToken(company.id, userId, 'session')}` }
    }
    const demoted = await invite(`demoted-${company.id}@example.test`)
    expect((await hub.call('GET', '/v1/api_keys', { auth: demoted.bearer })).status).toBe(200)
    const put = await hub.call('PUT', `/v1/users/${demoted.userId}`, {
      auth: company.basic,
      body: { is_admin: false },
    })
    expect(put.status).toBe(200)
    expect((await hub.call('GET', '/v1/api_keys', { auth: demoted.bearer })).status).toBe(403)

    const deleted = await invite(`deleted-${company.id}@example.test`)
    expect((await hub.call('GET', '/v1/me', { auth: deleted.bearer })).status).toBe(200)
    expect((await hub.call('DELETE', `/v1/users/${deleted.userId}`, { auth: company.basic })).status).toBe(
      204,
    )
    expect((await hub.call('GET', '/v1/me', { auth: deleted.bearer })).status).toBe(403)
  })

  it('an expired session answers 403 even while it is in memory', async () => {
    const company = await hub.createCompany()
    const value = await hub.issueToken(company.id, company.adminUserId, 'session')
    await hub.db
      .update(userTokens)
      .set({ expiresAt: new Date(hub.clock.now().getTime() + 60_000) })
      .where(eq(userTokens.tokenHash, sha256(value)))
    const auth = `Bearer ${value}`
    expect((await hub.call('GET', '/v1/me', { auth })).status).toBe(200)
    hub.clock.advance(60_000)
    expect((await hub.call('GET', '/v1/me', { auth })).status).toBe(403)
  })
})
