import {
  type Connector,
  type ConnectorSettingsInput,
  type ConnectorSlug,
  connectorFor,
  type OAuthApp,
  type TokenSet,
  tokenSetSchema,
} from '@switchboard/connectors'
import { and, eq } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import type { Database } from '../../db/client.ts'
import { type IntegrationKind, integrations, tags } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { accountBudget, requestPacer } from './crm-rate-limits.ts'
import { SANDBOX_APP, sandboxAvailable, sandboxCrm } from './sandbox-crms.ts'
import { connectorSettingsOf, integrationSettings, tagMapByName } from './settings.ts'
import { keyRing, open, seal } from './token-vault.ts'

export type IntegrationRow = typeof integrations.$inferSelect

/** What the integrations catalogue lists (`GET /v1/integrations/catalogue`). */
export type CatalogueEntry = {
  kind: IntegrationKind
  name: string
  /** oauth: connect through the vendor's consent page; none: nothing to connect (weather). */
  auth: 'oauth' | 'none'
  /** What the admin must give when creating one (the account's own host). */
  needs: 'subdomain' | 'instance_url' | null
  /** Calls are logged into it and callers looked up in it. */
  logsCalls: boolean
}

export const catalogue: readonly CatalogueEntry[] = [
  { kind: 'hubspot', name: 'HubSpot', auth: 'oauth', needs: null, logsCalls: true },
  { kind: 'salesforce', name: 'Salesforce', auth: 'oauth', needs: null, logsCalls: true },
  { kind: 'zendesk', name: 'Zendesk', auth: 'oauth', needs: 'subdomain', logsCalls: true },
  { kind: 'dynamics', name: 'Microsoft Dynamics 365', auth: 'oauth', needs: 'instance_url', logsCalls: true },
  { kind: 'weather', name: 'Weather', auth: 'none', needs: null, logsCalls: false },
]

export function isCrm(kind: IntegrationKind): kind is ConnectorSlug & IntegrationKind {
  return kind !== 'weather'
}

/** The OAuth callback every CRM redirects to. */
export function oauthRedirectUri(env: Pick<Env, 'PUBLIC_URL' | 'PORT'>): string {
  const base = (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '')
  return `${base}/v1/integrations/oauth/callback`
}

/** The OAuth app registered with the vendor, from the environment; null when not configured. */
export function oauthApp(env: Env, kind: ConnectorSlug, sandbox: boolean): OAuthApp | null {
  const redirectUri = oauthRedirectUri(env)
  if (sandbox) return { ...SANDBOX_APP, redirectUri }
  const pair: Record<ConnectorSlug, [string | undefined, string | undefined]> = {
    hubspot: [env.HUBSPOT_CLIENT_ID, env.HUBSPOT_CLIENT_SECRET],
    salesforce: [env.SALESFORCE_CLIENT_ID, env.SALESFORCE_CLIENT_SECRET],
    zendesk: [env.ZENDESK_CLIENT_ID, env.ZENDESK_CLIENT_SECRET],
    dynamics: [env.DYNAMICS_CLIENT_ID, env.DYNAMICS_CLIENT_SECRET],
  } as Record<ConnectorSlug, [string | undefined, string | undefined]>
  const [clientId, clientSecret] = pair[kind] ?? []
  return clientId && clientSecret ? { clientId, clientSecret, redirectUri } : null
}

export type CrmEndpoints = { baseUrl?: string; authBaseUrl?: string }

/**
 * Where a connection's API and OAuth hosts are: the sandbox CRM on loopback, an override from
 * the environment, the account's own host (Zendesk subdomain, Dynamics org), or the connector's
 * default (the vendor).
 */
export async function crmEndpoints(
  env: Env,
  row: Pick<IntegrationRow, 'id' | 'kind' | 'sandbox' | 'instanceUrl'>,
): Promise<CrmEndpoints> {
  const kind = row.kind as ConnectorSlug
  if (row.sandbox) {
    if (!env.SANDBOX_CRMS || !sandboxAvailable(kind)) throw new Error(`the ${kind} sandbox is not available`)
    const fake = await sandboxCrm(kind, row.id)
    return { baseUrl: fake.url, authBaseUrl: fake.url }
  }
  switch (row.kind) {
    case 'hubspot':
      return { baseUrl: env.HUBSPOT_API_URL, authBaseUrl: env.HUBSPOT_AUTH_URL }
    case 'salesforce':
      return { baseUrl: env.SALESFORCE_API_URL, authBaseUrl: env.SALESFORCE_LOGIN_URL }
    case 'zendesk':
      return {
        baseUrl: env.ZENDESK_API_URL,
        authBaseUrl: env.ZENDESK_API_URL ?? row.instanceUrl ?? undefined,
      }
    default:
      return {
        baseUrl: (row.kind === 'dynamics' ? env.DYNAMICS_API_URL : undefined) ?? row.instanceUrl ?? undefined,
        authBaseUrl: row.kind === 'dynamics' ? env.DYNAMICS_AUTH_URL : undefined,
      }
  }
}

const aad = (integrationId: number) => `integration:${integrationId}`

export function sealTokens(env: Env, integrationId: number, tokens: TokenSet): string {
  return seal(keyRing(env), JSON.stringify(tokens), aad(integrationId))
}

export function openTokens(env: Env, row: Pick<IntegrationRow, 'id' | 'tokens'>): TokenSet | null {
  if (!row.tokens) return null
  return tokenSetSchema.parse(JSON.parse(open(keyRing(env), row.tokens, aad(row.id))))
}

/**
 * The connector's part of the integration's settings, tag mappings keyed by tag name (the admin
 * may key them by tag id; calls carry names).
 */
async function connectorSettingsFor(db: Database, row: IntegrationRow): Promise<ConnectorSettingsInput> {
  const settings = connectorSettingsOf(integrationSettings(row))
  const maps = [settings.tagOutcomes ?? {}, settings.tagCallTypes ?? {}]
  if (!maps.some((m) => Object.keys(m).some((k) => /^\d+$/.test(k)))) return settings
  const companyTags = await db
    .select({ id: tags.id, name: tags.name })
    .from(tags)
    .where(eq(tags.companyId, row.companyId))
  return {
    ...settings,
    tagOutcomes: tagMapByName(settings.tagOutcomes ?? {}, companyTags),
    tagCallTypes: tagMapByName(settings.tagCallTypes ?? {}, companyTags),
  }
}

export type ConnectionDeps = { env: Env; db: Database; clock: Clock }

export class NotConnectedError extends Error {}

/**
 * A live Connector for a connected CRM integration. Tokens the connector refreshes are sealed
 * and saved before it uses them (`onTokens`), so a crash right after a refresh never leaves the
 * row with a refresh token the vendor has already rotated away.
 */
export async function openConnector(
  deps: ConnectionDeps,
  row: IntegrationRow,
  opts: {
    timeoutMs?: number
    /**
     * How requests spend the account's budget (crm-rate-limits): the sync waits for room;
     * everything else (a caller's lookup, a health check) is counted and goes at once.
     */
    pace?: 'wait' | 'count'
  } = {},
): Promise<Connector> {
  if (!isCrm(row.kind)) throw new NotConnectedError(`${row.kind} is not a CRM`)
  const tokens = openTokens(deps.env, row)
  if (!tokens || row.status !== 'connected')
    throw new NotConnectedError(`integration ${row.id} is not connected`)
  const app = oauthApp(deps.env, row.kind, row.sandbox)
  if (!app) throw new NotConnectedError(`no OAuth app configured for ${row.kind}`)
  const endpoints = await crmEndpoints(deps.env, row)
  return connectorFor(row.kind).connect({
    app,
    tokens,
    ...endpoints,
    settings: await connectorSettingsFor(deps.db, row),
    now: () => deps.clock.now().getTime(),
    timeoutMs: opts.timeoutMs,
    paceRequest: requestPacer(
      accountBudget(deps.env.CRM_RATE_LIMITS, row.id, row.kind),
      opts.pace ?? 'count',
    ),
    onTokens: async (next) => {
      const now = deps.clock.now()
      await deps.db
        .update(integrations)
        .set({
          tokens: sealTokens(deps.env, row.id, next),
          tokensVersion: row.tokensVersion + 1,
          updatedAt: now,
        })
        .where(and(eq(integrations.id, row.id), eq(integrations.companyId, row.companyId)))
      row.tokensVersion += 1
    },
  })
}
