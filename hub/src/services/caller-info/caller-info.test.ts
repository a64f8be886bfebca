import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { callerCardSchema } from '@switchboard/shared'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addEndedCall,
  addIntegration,
  sandboxHubspot,
  sandboxSalesforce,
  testTokenKeys,
} from '../../../test/helpers/caller-info.ts'
import { addAgent } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../test/helpers/numbers-factory.ts'
import { contactPhoneNumbers, contacts, integrationNumbers, integrations } from '../../db/schema/index.ts'
import { stopSandboxCrms } from '../integrations/sandbox-crms.ts'
import { type CallerCardInput, callerCard, createCallerInfo, type WeatherLookup } from './caller-info.ts'

/**
 * The caller card as the services make it: the number's CRMs (the built-in sandbox HubSpot and
 * Salesforce, the connectors' fakes) asked in parallel under the deadline, cached per company,
 * the company's recent calls with the number and its own contacts.
 */

/** A HubSpot that accepts connections and never answers (for the deadline). */
let silent: Server
let hub: TestHub
beforeAll(async () => {
  silent = createServer(() => {})
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  hub = await createTestHub({
    env: {
      CRM_TOKEN_KEYS: testTokenKeys(),
      CALLER_INFO_DEADLINE_MS: '1500',
      HUBSPOT_API_URL: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      HUBSPOT_CLIENT_ID: 'hs-client',
      HUBSPOT_CLIENT_SECRET: 'hs-secret',
    },
  })
})
beforeAll(async () => {
  // The first lookups of a process pay for starting the sandbox CRMs and warming the connectors
  // and the TLS-less HTTP stack; on a loaded machine that alone can pass the deadline.
  const company = await hub.createCompany()
  await hubspotFor(company, [])
  await salesforceFor(company, [])
  for (let i = 0; i < 3; i++) await callerCard(hub.deps, { companyId: company.id, phoneNumber: newCaller() })
})
afterAll(async () => {
  await hub.close()
  await stopSandboxCrms()
  silent.closeAllConnections()
  await new Promise((resolve) => silent.close(resolve))
})

let numberSeq = 0
/** A caller number of its own per test: the sandbox CRMs are shared by the tests of the file. */
const newCaller = () => `+1415555${String(1000 + ++numberSeq).slice(-4)}`

const card = (input: CallerCardInput) => callerCard(hub.deps, input).then((c) => callerCardSchema.parse(c))

async function hubspotFor(company: TestCompany, numberIds: number[], name?: string) {
  const fake = await sandboxHubspot()
  return addIntegration(hub, company, 'hubspot', {
    tokens: fake.issueTokens(),
    accountId: '4242',
    numberIds,
    name,
  })
}
async function salesforceFor(company: TestCompany, numberIds: number[]) {
  const fake = await sandboxSalesforce()
  const tokens = fake.issueTokens()
  return addIntegration(hub, company, 'salesforce', { tokens, accountId: '00D000000000001AAA', numberIds })
}

const hubspotSearches = async (caller: string) => {
  const fake = await sandboxHubspot()
  const national = caller.slice(2)
  return fake.requests.filter(
    (r) => r.path === '/crm/v3/objects/contacts/search' && r.rawBody.includes(national),
  ).length
}

describe('caller card from the CRMs linked to the number', () => {
  it('lists the records of each CRM, the first integration first, with owner, company and link', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const caller = newCaller()
    const hs = await sandboxHubspot()
    const sf = await sandboxSalesforce()
    hs.addOwner({ id: '501', email: 'olga@acme.test', firstName: 'Olga', lastName: 'Owner' })
    const hsContact = hs.addContact({
      firstname: 'Grace',
      lastname: 'Hopper',
      phone: caller,
      email: 'grace@navy.test',
      company: 'Navy',
      hubspot_owner_id: '501',
    })
    const owner = sf.add('User', { Name: 'Sam Seller', Email: 'sam@acme.test', IsActive: true })
    const account = sf.add('Account', { Name: 'Navy Corp', Phone: '+1 555 000 0000' })
    const sfContact = sf.add('Contact', {
      FirstName: 'Grace',
      LastName: 'B. Hopper',
      MobilePhone: caller,
      AccountId: account,
      OwnerId: owner,
    })
    const hubspot = await hubspotFor(company, [number.id], 'HubSpot EMEA')
    const salesforce = await salesforceFor(company, [number.id])

    const got = await card({ companyId: company.id, phoneNumber: caller, numberId: number.id })
    expect(got.phone_number).toBe(caller)
    expect(got.sources.every((s) => s.ok)).toBe(true)
    expect(got.name).toBe('Grace Hopper')
    expect(got.company).toBe('Navy')
    expect(got.records).toEqual([
      {
        integration_id: hubspot.id,
        integration_name: 'HubSpot EMEA',
        crm: 'hubspot',
        id: hsContact,
        type: 'contact',
        name: 'Grace Hopper',
        email: 'grace@navy.test',
        company: 'Navy',
        owner: 'Olga Owner',
        url: `https://app.hubspot.com/contacts/4242/record/0-1/${hsContact}`,
      },
      {
        integration_id: salesforce.id,
        integration_name: salesforce.name,
        crm: 'salesforce',
        id: sfContact,
        type: 'contact',
        name: 'Grace B. Hopper',
        email: null,
        company: 'Navy Corp',
        owner: 'Sam Seller',
        url: `${sf.url}/lightning/r/Contact/${sfContact}/view`,
      },
    ])
    expect(got.sources).toEqual([
      { integration_id: hubspot.id, crm: 'hubspot', ok: true, error: null },
      { integration_id: salesforce.id, crm: 'salesforce', ok: true, error: null },
    ])
  })

  it('asks only the active, connected CRMs linked to the number; a call-less lookup asks all of them', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const other = await createTestNumber(hub.db, { companyId: company.id })
    const caller = newCaller()
    ;(await sandboxHubspot()).addContact({ firstname: 'Linked', lastname: 'Elsewhere', phone: caller })
    const elsewhere = await hubspotFor(company, [other.id])
    const reauth = await addIntegration(hub, company, 'salesforce', {
      numberIds: [number.id],
      status: 'reauth',
    })
    await addIntegration(hub, company, 'zendesk', { numberIds: [number.id], status: 'pending' })
    await addIntegration(hub, company, 'hubspot', { numberIds: [number.id], active: false })

    const onCall = await card({ companyId: company.id, phoneNumber: caller, numberId: number.id })
    expect(onCall.records).toEqual([])
    expect(onCall.sources).toEqual([
      { integration_id: reauth.id, crm: 'salesforce', ok: false, error: 'needs reconnecting' },
    ])

    const anyNumber = await card({ companyId: company.id, phoneNumber: caller })
    expect(anyNumber.records.map((r) => [r.integration_id, r.name])).toEqual([
      [elsewhere.id, 'Linked Elsewhere'],
    ])
    expect(anyNumber.sources.map((s) => [s.integration_id, s.ok])).toEqual([
      [elsewhere.id, true],
      [reauth.id, false],
    ])
  })

  it('comes within the deadline when a CRM never answers, with that source timed out', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const caller = newCaller()
    const sf = await sandboxSalesforce()
    sf.add('Contact', { LastName: 'Answered', Phone: caller })
    // Not the sandbox: HUBSPOT_API_URL, a server that never answers.
    const stuck = await addIntegration(hub, company, 'hubspot', {
      sandbox: false,
      tokens: { accessToken: 'at-stuck', refreshToken: 'rt-stuck' },
      numberIds: [number.id],
    })
    const salesforce = await salesforceFor(company, [number.id])

    const got = await card({ companyId: company.id, phoneNumber: caller, numberId: number.id })
    expect(got.sources).toEqual([
      { integration_id: stuck.id, crm: 'hubspot', ok: false, error: 'timed out' },
      { integration_id: salesforce.id, crm: 'salesforce', ok: true, error: null },
    ])
    expect(got.name).toBe('Answered')
  })

  it('shows a CRM that fails (503) as unavailable while the others still answer', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const caller = newCaller()
    const hs = await sandboxHubspot()
    hs.addContact({ firstname: 'Still', lastname: 'Here', phone: caller })
    const sf = await sandboxSalesforce()
    sf.fault({
      match: (r) => r.path.endsWith('/search') && (r.query.get('q') ?? '').includes(caller.slice(2)),
      times: 5,
      response: { status: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'down' }] },
    })
    const hubspot = await hubspotFor(company, [number.id])
    const salesforce = await salesforceFor(company, [number.id])

    const got = await card({ companyId: company.id, phoneNumber: caller, numberId: number.id })
    expect(got.records.map((r) => r.name)).toEqual(['Still Here'])
    expect(got.sources).toEqual([
      { integration_id: hubspot.id, crm: 'hubspot', ok: true, error: null },
      { integration_id: salesforce.id, crm: 'salesforce', ok: false, error: 'unavailable' },
    ])
  })
})

describe('the cache', () => {
  it('answers a second lookup without asking the CRM, and asks again once the integrations change or it expires', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const caller = newCaller()
    ;(await sandboxHubspot()).addContact({ firstname: 'Cached', lastname: 'Once', phone: caller })
    const hubspot = await hubspotFor(company, [number.id])
    const input = { companyId: company.id, phoneNumber: caller, numberId: number.id }

    const [first, concurrent] = await Promise.all([card(input), card(input)])
    const second = await card(input)
    expect(second).toEqual(first)
    expect(concurrent).toEqual(first)
    expect(await hubspotSearches(caller)).toBe(1)

    // Renamed by another hub process (the API bumps updated_at): seen within 2 s.
    hub.clock.advance(2_500)
    await hub.db
      .update(integrations)
      .set({ name: 'HubSpot renamed', updatedAt: hub.clock.now() })
      .where(eq(integrations.id, hubspot.id))
    expect((await card(input)).records[0]?.integration_name).toBe('HubSpot renamed')
    expect(await hubspotSearches(caller)).toBe(2)

    // Unlinked from the number by this process, which forgets the company's entries: not asked any more.
    await hub.db.delete(integrationNumbers).where(eq(integrationNumbers.integrationId, hubspot.id))
    hub.deps.callerInfo.forgetCompany(company.id)
    expect((await card(input)).sources).toEqual([])

    await hub.db.insert(integrationNumbers).values({
      integrationId: hubspot.id,
      numberId: number.id,
      companyId: company.id,
      createdAt: hub.clock.now(),
    })
    hub.deps.callerInfo.forgetCompany(company.id)
    await card(input)
    const searches = await hubspotSearches(caller)
    hub.clock.advance(61_000)
    await card(input)
    expect(await hubspotSearches(caller)).toBe(searches + 1)
  })

  it("never gives a company another's card or CRM records", async () => {
    const a = await hub.createCompany()
    const b = await hub.createCompany()
    const numberA = await createTestNumber(hub.db, { companyId: a.id })
    const caller = newCaller()
    ;(await sandboxHubspot()).addContact({ firstname: 'Only', lastname: 'A', phone: caller })
    await hubspotFor(a, [numberA.id])
    const [bContact] = await hub.db
      .insert(contacts)
      .values({ companyId: b.id, firstName: 'Known', lastName: 'To B', companyName: 'B Corp' })
      .returning()
    await hub.db.insert(contactPhoneNumbers).values({
      companyId: b.id,
      contactId: bContact!.id,
      label: 'Work',
      value: caller,
      e164: caller,
      digits: caller,
    })

    expect((await card({ companyId: a.id, phoneNumber: caller })).name).toBe('Only A')
    const ofB = await card({ companyId: b.id, phoneNumber: caller })
    expect(ofB).toMatchObject({ name: 'Known To B', company: 'B Corp', records: [], sources: [] })
    // B asking with A's number id (a forged id) does not reach A's CRM either.
    const forged = await card({ companyId: b.id, phoneNumber: caller, numberId: numberA.id })
    expect(forged).toMatchObject({ records: [], sources: [] })
  })
})

describe('recent calls and the rest of the card', () => {
  it("lists the company's last 5 ended calls with the number, newest first, with outcome and agent", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id })
    const otherNumber = await createTestNumber(hub.db, { companyId: other.id })
    const agent = await addAgent(hub, company, { firstName: 'Ada', lastName: 'Agent' })
    const caller = newCaller()
    const at = (min: number) => new Date(Date.parse('2026-03-01T10:00:00Z') + min * 60_000)
    const oldest = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: at(0),
    })
    const answered = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: at(10),
      answeredAfterSec: 5,
      durationSec: 125,
      userId: agent.id,
    })
    const voicemail = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: at(20),
      voicemail: true,
    })
    const outbound = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      direction: 'outbound',
      startedAt: at(30),
      userId: agent.id,
    })
    const missed = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: at(40),
    })
    const latest = await addEndedCall(hub, company, {
      numberId: number.id,
      external: caller,
      startedAt: at(50),
    })
    await addEndedCall(hub, other, { numberId: otherNumber.id, external: caller, startedAt: at(60) })
    await addEndedCall(hub, company, { numberId: number.id, external: newCaller(), startedAt: at(70) })

    const got = await card({ companyId: company.id, phoneNumber: caller })
    expect(got.recent_calls).toEqual([
      {
        id: latest.id,
        direction: 'inbound',
        outcome: 'missed',
        started_at: at(50).getTime() / 1000,
        duration: 0,
        user_name: null,
      },
      {
        id: missed.id,
        direction: 'inbound',
        outcome: 'missed',
        started_at: at(40).getTime() / 1000,
        duration: 0,
        user_name: null,
      },
      {
        id: outbound.id,
        direction: 'outbound',
        outcome: 'unanswered',
        started_at: at(30).getTime() / 1000,
        duration: 0,
        user_name: 'Ada Agent',
      },
      {
        id: voicemail.id,
        direction: 'inbound',
        outcome: 'voicemail',
        started_at: at(20).getTime() / 1000,
        duration: 0,
        user_name: null,
      },
      {
        id: answered.id,
        direction: 'inbound',
        outcome: 'answered',
        started_at: at(10).getTime() / 1000,
        duration: 120,
        user_name: 'Ada Agent',
      },
    ])
    expect(got.recent_calls.map((c) => c.id)).not.toContain(oldest.id)
  })

  it('adds the place and the weather only with the weather app; anonymous callers get an empty card', async () => {
    const company = await hub.createCompany()
    const caller = newCaller()
    const asked: boolean[] = []
    const weather: WeatherLookup = async (_e164, opts) => {
      asked.push(opts.withWeather)
      return {
        location: {
          country: 'US',
          place: 'San Francisco',
          time_zone: 'America/Los_Angeles',
          local_time: '01:00',
          utc_offset_minutes: -480,
        },
        weather: { temperature_c: 14.5, conditions: 'Fog', code: 45, observed_at: 1_772_445_600 },
        error: null,
      }
    }
    const deps = {
      ...hub.deps,
      callerInfo: createCallerInfo({ env: hub.deps.env, clock: hub.clock }, { weather }),
    }
    const without = await callerCard(deps, { companyId: company.id, phoneNumber: caller })
    expect(without.location?.place).toBe('San Francisco')
    expect(without.weather).toBeNull()

    await addIntegration(hub, company, 'weather')
    deps.callerInfo.forgetCompany(company.id)
    const withApp = await callerCard(deps, { companyId: company.id, phoneNumber: caller })
    expect(withApp.weather).toMatchObject({ conditions: 'Fog', temperature_c: 14.5 })
    expect(asked).toEqual([false, true])

    expect(await callerCard(deps, { companyId: company.id, phoneNumber: 'anonymous' })).toEqual({
      phone_number: 'anonymous',
      name: null,
      company: null,
      records: [],
      recent_calls: [],
      location: null,
      weather: null,
      sources: [],
    })
  })
})
