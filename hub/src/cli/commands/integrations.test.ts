import { randomBytes } from 'node:crypto'
import type { CallActivityInput } from '@switchboard/shared'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../test/helpers/numbers-factory.ts'
import { integrations } from '../../db/schema/index.ts'
import { openConnector, openTokens } from '../../services/integrations/connections.ts'
import { rekeyTokens } from '../../services/integrations/rekey.ts'
import { sandboxCrm, stopSandboxCrms } from '../../services/integrations/sandbox-crms.ts'
import { createHubApi, type HubApi } from '../hub-api.ts'
import {
  connectIntegration,
  createIntegrationCommand,
  formatActivities,
  formatIntegrations,
  formatRekey,
  linkNumbersCommand,
  listIntegrationLines,
  sandboxActivitiesCommand,
} from './integrations.ts'

const OLD_KEY = `k1:${randomBytes(32).toString('base64')}`
const NEW_KEY = `k2:${randomBytes(32).toString('base64')}`

let hub: TestHub
let base: string
beforeAll(async () => {
  hub = await createTestHub({ env: { CRM_TOKEN_KEYS: OLD_KEY } })
  base = await hub.listen()
})
afterAll(async () => {
  await stopSandboxCrms()
  await hub.close()
})

async function companyApi(): Promise<{ api: HubApi; companyId: number }> {
  const company = await hub.createCompany()
  return {
    api: createHubApi({ base, apiId: company.apiId, apiToken: company.apiToken }),
    companyId: company.id,
  }
}

async function row(id: number) {
  const [r] = await hub.db.select().from(integrations).where(eq(integrations.id, id))
  return r!
}

/** A call as the sync hands it to a connector, for the sandbox CRM to receive. */
const ACTIVITY: CallActivityInput = {
  call_id: 7,
  call_ref: 'sb-cli-7',
  direction: 'outbound',
  started_at: 1_790_000_000,
  answered_at: 1_790_000_004,
  ended_at: 1_790_000_064,
  external_number: '+14155551212',
  line: { e164: '+14155550100', name: 'Sales' },
  agent: null,
  tags: [],
  comments: ['Called back about the quote'],
}

describe('sb integrations, the sandbox walkthrough', () => {
  it('create a sandbox HubSpot, connect it with --approve, link a number, read what the CRM received', async () => {
    const { api, companyId } = await companyApi()
    expect(formatIntegrations(await listIntegrationLines(api))[0]).toContain('No integration yet')

    const created = await createIntegrationCommand(api, {
      kind: 'hubspot',
      name: 'Try HubSpot',
      sandbox: true,
    })
    expect(created).toMatchObject({ kind: 'hubspot', status: 'pending', sandbox: true })

    const printed = await connectIntegration(api, created.id, false)
    expect(printed.approved).toBeNull()
    expect(printed.authorizeUrl).toContain('/v1/integrations/sandbox/authorize?')

    const approved = await connectIntegration(api, created.id, true)
    expect(approved.approved).toMatchObject({ ok: true, title: 'HubSpot connected' })
    expect(approved.approved!.text).toContain('you can close this tab')

    const number = await createTestNumber(hub.db, { companyId })
    const linked = await linkNumbersCommand(api, created.id, [number.id])
    expect(linked.number_ids).toEqual([number.id])

    const [line] = formatIntegrations(await listIntegrationLines(api))
    expect(line).toContain(
      `${created.id}  hubspot  "Try HubSpot"  connected (sandbox)  numbers: ${number.id}`,
    )

    expect(formatActivities(await sandboxActivitiesCommand(api, created.id))[0]).toContain('no activity yet')
    const connector = await openConnector(hub.deps, await row(created.id))
    await connector.logCall(ACTIVITY)
    const lines = formatActivities(await sandboxActivitiesCommand(api, created.id))
    expect(lines[0]).toMatch(/^call \d+ {2}\(/)
    expect(lines.join('\n')).toContain('hs_call_direction: OUTBOUND')
    expect(lines.join('\n')).toContain('Called back about the quote')
  })

  it('a sandbox Dynamics 365 connects with --approve (PKCE, its own org) and prints the phone calls it received', async () => {
    const { api } = await companyApi()
    const created = await createIntegrationCommand(api, {
      kind: 'dynamics',
      name: 'Try Dynamics',
      sandbox: true,
    })
    const approved = await connectIntegration(api, created.id, true)
    expect(new URL(approved.authorizeUrl).searchParams.get('code_challenge_method')).toBe('S256')
    expect(approved.approved).toMatchObject({ ok: true, title: 'Microsoft Dynamics 365 connected' })
    const fake = await sandboxCrm('dynamics', created.id)
    const caller = fake.add('contacts', {
      firstname: 'Grace',
      lastname: 'Hopper',
      telephone1: '+14155551212',
    })
    const connector = await openConnector(hub.deps, await row(created.id))
    await connector.logCall(ACTIVITY, { record: { id: caller, type: 'contact' } })
    const lines = formatActivities(await sandboxActivitiesCommand(api, created.id))
    expect(lines[0]).toMatch(/^phonecall [0-9a-f-]{36} {2}\(/)
    const text = lines.join('\n')
    expect(text).toContain('subject: Outbound answered call to +14155551212')
    expect(text).toContain('description: Called back about the quote')
    expect(text).toContain(`_regardingobjectid_value: ${caller}`)
    expect(text).toContain(`"partyType":"contact","partyId":"${caller}"`)
    expect(lines.slice(-2)).toEqual(['Records (1):', `  contact ${caller}`])
  })

  it('--approve refuses an integration that is not a sandbox one', async () => {
    const { api } = await companyApi()
    const weather = await createIntegrationCommand(api, { kind: 'weather', name: 'Weather', sandbox: false })
    await expect(connectIntegration(api, weather.id, true)).rejects.toMatchObject({ code: 'bad_request' })
  })
})

describe('sb integrations:rekey', () => {
  it('re-seals tokens sealed with an older key under the new first key; a second run has nothing to do', async () => {
    const { api } = await companyApi()
    const created = await createIntegrationCommand(api, {
      kind: 'salesforce',
      name: 'Rekeyed',
      sandbox: true,
    })
    expect((await connectIntegration(api, created.id, true)).approved?.ok).toBe(true)
    const before = await row(created.id)
    expect(before.tokens).toMatch(/^v1\.k1\./)
    const tokens = openTokens(hub.deps.env, before)

    const rotated = { CRM_TOKEN_KEYS: `${NEW_KEY},${OLD_KEY}`, DATA_DIR: hub.deps.env.DATA_DIR }
    const first = await rekeyTokens(hub.db, rotated)
    expect(first.resealed).toBeGreaterThanOrEqual(1)
    expect(first.unreadable).toEqual([])
    expect(formatRekey(first).join('\n')).toContain('older keys can now be removed')
    const after = await row(created.id)
    expect(after.tokens).toMatch(/^v1\.k2\./)
    // Opens with the new key alone: the old one can go.
    expect(openTokens({ ...hub.deps.env, CRM_TOKEN_KEYS: NEW_KEY }, after)).toEqual(tokens)

    const second = await rekeyTokens(hub.db, rotated)
    expect(second.resealed).toBe(0)

    const lost = await rekeyTokens(hub.db, {
      CRM_TOKEN_KEYS: `k3:${randomBytes(32).toString('base64')}`,
      DATA_DIR: '.',
    })
    expect(lost.unreadable).toContain(created.id)
  })
})
