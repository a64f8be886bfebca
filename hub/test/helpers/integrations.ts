import { randomBytes } from 'node:crypto'
import type { TokenSet } from '@switchboard/connectors'
import { and, eq } from 'drizzle-orm'
import type { Database } from '../../src/db/client.ts'
import {
  callSyncs,
  type IntegrationKind,
  integrationNumbers,
  integrations,
} from '../../src/db/schema/index.ts'
import type { Env } from '../../src/env.ts'
import { sealTokens } from '../../src/services/integrations/connections.ts'

/** A CRM token key for tests (CRM_TOKEN_KEYS). */
export const testCrmTokenKeys = () => `k1:${randomBytes(32).toString('base64')}`

/** The fakes' OAuth apps, as the hub's env names them. */
export const fakeCrmApps = {
  HUBSPOT_CLIENT_ID: 'hs-client',
  HUBSPOT_CLIENT_SECRET: 'hs-secret',
  SALESFORCE_CLIENT_ID: 'sf-client',
  SALESFORCE_CLIENT_SECRET: 'sf-secret',
  ZENDESK_CLIENT_ID: 'zd-client',
  ZENDESK_CLIENT_SECRET: 'zd-secret',
}

/**
 * A connected integration, as the Integrations API leaves one after the OAuth dance: the
 * tokens (from the fake's issueTokens) sealed, linked to `numberIds`.
 */
export async function connectTestIntegration(
  db: Database,
  env: Env,
  input: {
    companyId: number
    kind: Exclude<IntegrationKind, 'weather'>
    tokens: { accessToken: string; refreshToken: string; instanceUrl?: string }
    numberIds: number[]
    name?: string
    settings?: Record<string, unknown>
    sandbox?: boolean
    active?: boolean
    accountId?: string
    /** 'reauth': the grant was refused since; calls wait in the ledger for the reconnection. */
    status?: 'connected' | 'reauth'
  },
) {
  const now = new Date()
  const [row] = await db
    .insert(integrations)
    .values({
      companyId: input.companyId,
      kind: input.kind,
      name: input.name ?? `${input.kind} ${randomBytes(3).toString('hex')}`,
      sandbox: input.sandbox ?? false,
      active: input.active ?? true,
      status: input.status ?? 'connected',
      settings: input.settings ?? {},
      instanceUrl: input.tokens.instanceUrl ?? null,
      accountId: input.accountId ?? null,
      createdAt: now,
      updatedAt: now,
      connectedAt: now,
    })
    .returning()
  const tokens: TokenSet = {
    accessToken: input.tokens.accessToken,
    refreshToken: input.tokens.refreshToken,
    // Far off: the test decides when tokens stop working (the fake's expireAccessTokens).
    expiresAt: null,
    accountId: input.accountId ?? null,
    instanceUrl: input.tokens.instanceUrl ?? null,
  }
  await db
    .update(integrations)
    .set({ tokens: sealTokens(env, row!.id, tokens) })
    .where(eq(integrations.id, row!.id))
  if (input.numberIds.length > 0)
    await db.insert(integrationNumbers).values(
      input.numberIds.map((numberId) => ({
        integrationId: row!.id,
        numberId,
        companyId: input.companyId,
        createdAt: now,
      })),
    )
  return row!
}

export async function ledgerOf(db: Database, callId: number, integrationId: number) {
  const [row] = await db
    .select()
    .from(callSyncs)
    .where(and(eq(callSyncs.callId, callId), eq(callSyncs.integrationId, integrationId)))
  return row ?? null
}
