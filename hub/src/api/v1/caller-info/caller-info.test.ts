import { callerCardSchema } from '@switchboard/shared'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addEndedCall,
  addIntegration,
  sandboxHubspot,
  testTokenKeys,
} from '../../../../test/helpers/caller-info.ts'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../../test/helpers/numbers-factory.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { stopSandboxCrms } from '../../../services/integrations/sandbox-crms.ts'

let hub: TestHub
beforeAll(async () => {
  // A long deadline: these tests are about who sees what, not a cold first lookup's speed.
  hub = await createTestHub({ env: { CRM_TOKEN_KEYS: testTokenKeys(), CALLER_INFO_DEADLINE_MS: '5000' } })
})
afterAll(async () => {
  await hub.close()
  await stopSandboxCrms()
})

const path = (phone: string, extra = '') =>
  `/v1/caller_info?phone_number=${encodeURIComponent(phone)}${extra}`

describe('GET /v1/caller_info', () => {
  securityCases(() => hub, { method: 'GET', path: () => path('+33612345678') })

  it("gives an agent the card from the company's CRMs and calls, in the caller card schema", async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR' })
    const caller = '+33612345601'
    const hs = await sandboxHubspot()
    hs.addContact({ firstname: 'Marie', lastname: 'Curie', phone: caller, company: 'Institut' })
    // Linked to no number: a lookup without a call asks every CRM of the company.
    const hubspot = await addIntegration(hub, company, 'hubspot', {
      tokens: hs.issueTokens(),
      accountId: '4242',
    })
    const call = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: new Date('2026-03-01T08:00:00Z'),
      answeredAfterSec: 3,
      durationSec: 63,
    })

    const res = await hub.call('GET', path(caller), { auth: company.agentBearer })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const card = callerCardSchema.parse(res.body)
    expect(card).toMatchObject({
      phone_number: caller,
      name: 'Marie Curie',
      company: 'Institut',
      records: [{ integration_id: hubspot.id, crm: 'hubspot', name: 'Marie Curie' }],
      recent_calls: [{ id: call.id, outcome: 'answered', duration: 60 }],
      sources: [{ integration_id: hubspot.id, ok: true, error: null }],
    })

    // National format, in the country of the company's number (or the one given).
    const national = await hub.call('GET', path('06 12 34 56 01'), { auth: company.basic })
    expect(national.status).toBe(200)
    expect(national.body.phone_number).toBe(caller)
    const inUs = await hub.call('GET', path('(415) 555-0100', '&country=us'), { auth: company.basic })
    expect(inUs.body.phone_number).toBe('+14155550100')
  })

  it('is documented in the OpenAPI description, with the card and its query', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    const op = doc.body.paths['/v1/caller_info'].get
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(['phone_number', 'country'])
    const schema = op.responses['200'].content['application/json'].schema
    expect(Object.keys(schema.properties ?? {})).toContain('sources')
  })

  it('answers 400 naming phone_number for what is not a phone number', async () => {
    const company = await hub.createCompany()
    for (const bad of ['hello', '+3361', '12', '']) {
      const res = await hub.call('GET', path(bad), { auth: company.basic })
      expect(res.status, bad).toBe(400)
      expect(res.body.field, bad).toBe('phone_number')
    }
    const noNumber = await hub.call('GET', path('0612345678'), { auth: company.basic })
    expect(noNumber.status).toBe(400)
    expect(noNumber.body.message).toMatch(/international format/)
    const badCountry = await hub.call('GET', path('0612345678', '&country=France'), { auth: company.basic })
    expect(badCountry.status).toBe(400)
    expect(badCountry.body.field).toBe('country')
  })

  it("never shows a company another company's records or calls with the same number", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: owner.id })
    const caller = '+33612345602'
    const hs = await sandboxHubspot()
    hs.addContact({ firstname: 'Secret', lastname: 'Client', phone: caller })
    await addIntegration(hub, owner, 'hubspot', { tokens: hs.issueTokens(), accountId: '4242' })
    await addEndedCall(hub, owner, {
      numberId: number.id,
      external: caller,
      startedAt: new Date('2026-03-01T08:00:00Z'),
    })
    const seen = await hub.call('GET', path(caller), { auth: owner.basic })
    expect(seen.body.name).toBe('Secret Client')

    const res = await hub.call('GET', path(caller), { auth: intruder.agentBearer })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ name: null, records: [], recent_calls: [], sources: [] })
    expect(JSON.stringify(res.body)).not.toContain('Secret')
  })
})
