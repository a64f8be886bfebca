import { randomBytes } from 'node:crypto'
import type { TokenSet } from '@switchboard/connectors'
import type { HubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import type { SalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import { eq } from 'drizzle-orm'
import { calls, type IntegrationKind, integrationNumbers, integrations } from '../../src/db/schema/index.ts'
import { sealTokens } from '../../src/services/integrations/connections.ts'
import { sandboxCrm, shareSandboxCrm } from '../../src/services/integrations/sandbox-crms.ts'
import type { TestCompany, TestHub } from './hub.ts'

/** A key ring for the tests' sealed CRM tokens (nothing written to DATA_DIR). */
export const testTokenKeys = () => `k1:${randomBytes(32).toString('base64')}`

/**
 * The sandbox CRMs of a test file: one per kind, under integration id 0 (no row has it); every
 * sandbox integration addIntegration makes is served by it (shareSandboxCrm), so a test can fill
 * it before the integration exists.
 */
const SHARED = 0
export const sandboxHubspot = async () => (await sandboxCrm('hubspot', SHARED)) as HubspotFake
export const sandboxSalesforce = async () => (await sandboxCrm('salesforce', SHARED)) as SalesforceFake

let seq = 0

/**
 * A connected integration inserted as the Integrations API leaves it: tokens a fake issued,
 * sealed; linked to `numberIds`.
 */
export async function addIntegration(
  hub: TestHub,
  company: TestCompany,
  kind: IntegrationKind,
  opts: {
    tokens?: { accessToken: string; refreshToken: string; instanceUrl?: string }
    accountId?: string
    sandbox?: boolean
    numberIds?: number[]
    status?: 'pending' | 'connected' | 'reauth'
    active?: boolean
    name?: string
  } = {},
) {
  const now = hub.clock.now()
  const [row] = await hub.db
    .insert(integrations)
    .values({
      companyId: company.id,
      kind,
      name: opts.name ?? `${kind} ${++seq}`,
      sandbox: opts.sandbox ?? true,
      active: opts.active ?? true,
      status: opts.status ?? 'connected',
      settings: {},
      createdAt: now,
      updatedAt: now,
    })
    .returning()
  if (row!.sandbox && (kind === 'hubspot' || kind === 'salesforce' || kind === 'zendesk')) {
    await sandboxCrm(kind, SHARED)
    shareSandboxCrm(kind, SHARED, row!.id)
  }
  if (opts.tokens) {
    const set: TokenSet = {
      accessToken: opts.tokens.accessToken,
      refreshToken: opts.tokens.refreshToken,
      // Far from expiry on the hub's fake clock: no refresh during a lookup.
      expiresAt: kind === 'salesforce' ? null : now.getTime() + 3600_000 * 24 * 365,
      accountId: opts.accountId ?? null,
      instanceUrl: opts.tokens.instanceUrl ?? null,
    }
    await hub.db
      .update(integrations)
      .set({ tokens: sealTokens(hub.deps.env, row!.id, set), accountId: set.accountId })
      .where(eq(integrations.id, row!.id))
  }
  for (const numberId of opts.numberIds ?? [])
    await hub.db
      .insert(integrationNumbers)
      .values({ integrationId: row!.id, numberId, companyId: company.id, createdAt: now })
  return row!
}

/** An ended call of the company with `external`, inserted directly (as the engine leaves it). */
export async function addEndedCall(
  hub: TestHub,
  company: TestCompany,
  input: {
    numberId: number
    external: string
    direction?: 'inbound' | 'outbound'
    startedAt: Date
    answeredAfterSec?: number | null
    durationSec?: number
    userId?: number | null
    voicemail?: boolean
  },
) {
  const started = input.startedAt.getTime()
  const answered = input.answeredAfterSec == null ? null : new Date(started + input.answeredAfterSec * 1000)
  const [row] = await hub.db
    .insert(calls)
    .values({
      companyId: company.id,
      numberId: input.numberId,
      direction: input.direction ?? 'inbound',
      status: 'done',
      externalNumber: input.external,
      rawDigits: input.external,
      startedAt: input.startedAt,
      answeredAt: answered,
      endedAt: new Date(started + (input.durationSec ?? 60) * 1000),
      userId: input.userId ?? null,
      voicemailBlobId: input.voicemail ? 'vm-blob' : null,
      state: {},
      version: 1,
    })
    .returning()
  return row!
}
