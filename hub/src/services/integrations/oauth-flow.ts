import { createHash, randomBytes } from 'node:crypto'
import { type ConnectorSlug, connectorFor, isConnectorError } from '@switchboard/connectors'
import { and, eq } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { badRequest, DomainError } from '../../core/errors.ts'
import { sha256 } from '../../core/hashing.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database } from '../../db/client.ts'
import { integrationOauthStates, integrations } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import {
  catalogue,
  crmEndpoints,
  type IntegrationRow,
  oauthApp,
  oauthRedirectUri,
  openConnector,
  sealTokens,
} from './connections.ts'
import {
  findIntegration,
  hasConnector,
  type IntegrationContext,
  oauthEnvVars,
  pruneOauthStates,
  recordHealth,
} from './integration-service.ts'
import { sandboxCrm, sandboxInstanceUrl } from './sandbox-crms.ts'
import { keyRing, open, seal } from './token-vault.ts'

/**
 * The OAuth authorization-code dance of a CRM integration:
 * 1. `startConnect` (an admin, authenticated): a random `state`, stored hashed for 10 minutes,
 *    and for the CRMs that take PKCE a verifier, stored sealed; the vendor's authorize URL.
 * 2. The vendor (or the sandbox consent page) sends the admin's browser to the callback with
 *    `code` and `state`. The state is the only credential there: `completeOAuth` deletes it as it
 *    reads it (single use, even when the exchange then fails), exchanges the code, seals the
 *    tokens, prepares the CRM and checks it.
 */

export const OAUTH_STATE_TTL_MS = 10 * 60_000

/** CRMs whose OAuth takes PKCE (S256) from a confidential client: Salesforce and Dynamics (Entra ID). */
export const PKCE_KINDS: ReadonlySet<string> = new Set(['salesforce', 'dynamics'])

const base64url = (bytes: Buffer) => bytes.toString('base64url')
export const pkceChallenge = (verifier: string) => base64url(createHash('sha256').update(verifier).digest())
const verifierAad = (stateHash: string) => `oauth-state:${stateHash}`

export const SANDBOX_AUTHORIZE_PATH = '/v1/integrations/sandbox/authorize'

/**
 * The account's own host, for the connectors whose OAuth names it (Dynamics: the scope is
 * `<org>/.default`): the one the admin gave, or the sandbox CRM's. Called after crmEndpoints,
 * which refuses a sandbox this hub does not offer.
 */
async function instanceUrlOf(
  kind: ConnectorSlug,
  row: Pick<IntegrationRow, 'id' | 'sandbox' | 'instanceUrl'>,
): Promise<string | undefined> {
  return (row.sandbox ? await sandboxInstanceUrl(kind, row.id) : row.instanceUrl) ?? undefined
}

export async function startConnect(ctx: IntegrationContext, id: number): Promise<{ authorize_url: string }> {
  const row = await findIntegration(ctx.db, ctx, id)
  if (!hasConnector(row.kind)) throw badRequest('(path)', `${row.kind} needs no connection`)
  const app = oauthApp(ctx.env, row.kind, row.sandbox)
  if (!app) {
    const [cid, secret] = oauthEnvVars[row.kind]
    throw new DomainError('conflict', `The OAuth app is not configured: set ${cid} and ${secret} on the hub`)
  }
  const now = ctx.clock.now()
  const state = base64url(randomBytes(32))
  const stateHash = sha256(state)
  const verifier = PKCE_KINDS.has(row.kind) ? base64url(randomBytes(48)) : null
  await pruneOauthStates(ctx.db, now)
  await ctx.db.insert(integrationOauthStates).values({
    stateHash,
    companyId: ctx.companyId,
    integrationId: row.id,
    userId: ctx.actor.type === 'user' ? ctx.actor.userId : null,
    codeVerifier: verifier ? seal(keyRing(ctx.env), verifier, verifierAad(stateHash)) : null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + OAUTH_STATE_TTL_MS),
  })
  const { authBaseUrl } = await crmEndpoints(ctx.env, row)
  const instanceUrl = await instanceUrlOf(row.kind, row)
  const url = new URL(connectorFor(row.kind).authorizationUrl(app, { state, authBaseUrl, instanceUrl }))
  if (verifier && !url.searchParams.has('code_challenge')) {
    url.searchParams.set('code_challenge', pkceChallenge(verifier))
    url.searchParams.set('code_challenge_method', 'S256')
  }
  // A sandbox's consent page is the hub's own: same parameters, on our host.
  if (row.sandbox) return { authorize_url: `${ctx.links.to(SANDBOX_AUTHORIZE_PATH)}${url.search}` }
  return { authorize_url: url.toString() }
}

export type OAuthDeps = { env: Env; db: Database; clock: Clock; logger?: Logger }

/** The result page's content: what happened, in words for the admin. */
export type OAuthOutcome =
  | { ok: true; title: string; message: string; companyId?: number; integrationId?: number }
  | { ok: false; status: 400 | 502; title: string; message: string }

const failed = (message: string, status: 400 | 502 = 400): OAuthOutcome => ({
  ok: false,
  status,
  title: 'Connection failed',
  message,
})

const serviceName = (kind: IntegrationRow['kind']) => catalogue.find((c) => c.kind === kind)?.name ?? kind

/** A state still valid, without using it up (the sandbox consent page). */
export async function peekOauthState(deps: OAuthDeps, state: string) {
  const [row] = await deps.db
    .select({
      integration: integrations,
      expiresAt: integrationOauthStates.expiresAt,
    })
    .from(integrationOauthStates)
    .innerJoin(
      integrations,
      and(
        eq(integrations.id, integrationOauthStates.integrationId),
        eq(integrations.companyId, integrationOauthStates.companyId),
      ),
    )
    .where(eq(integrationOauthStates.stateHash, sha256(state)))
    .limit(1)
  if (!row || row.expiresAt.getTime() <= deps.clock.now().getTime()) return null
  return row.integration
}

export async function completeOAuth(
  deps: OAuthDeps,
  q: {
    state?: string | undefined
    code?: string | undefined
    error?: string | undefined
    error_description?: string | undefined
  },
): Promise<OAuthOutcome> {
  if (!q.state) return failed('The link has no state: start the connection again from Switchboard.')
  const stateHash = sha256(q.state)
  // Deleting is reading: of two requests with one state, one gets the row.
  const [st] = await deps.db
    .delete(integrationOauthStates)
    .where(eq(integrationOauthStates.stateHash, stateHash))
    .returning()
  if (!st)
    return failed('This link is unknown or was already used: start the connection again from Switchboard.')
  if (st.expiresAt.getTime() <= deps.clock.now().getTime())
    return failed('This link expired (it is valid 10 minutes): start the connection again from Switchboard.')
  const [row] = await deps.db
    .select()
    .from(integrations)
    .where(and(eq(integrations.id, st.integrationId), eq(integrations.companyId, st.companyId)))
  if (!row || !hasConnector(row.kind)) return failed('This integration no longer exists.')
  const name = serviceName(row.kind)
  if (q.error) {
    const why =
      q.error === 'access_denied' ? 'access was refused' : `the CRM answered "${q.error.slice(0, 100)}"`
    return failed(`${name} was not connected: ${why}.`)
  }
  if (!q.code) return failed(`${name} sent no authorization code: start the connection again.`)
  const app = oauthApp(deps.env, row.kind, row.sandbox)
  if (!app) return failed(`The ${name} OAuth app is no longer configured on this hub.`)
  const codeVerifier = st.codeVerifier
    ? open(keyRing(deps.env), st.codeVerifier, verifierAad(stateHash))
    : undefined
  const endpoints = await crmEndpoints(deps.env, row)
  const instanceUrl = await instanceUrlOf(row.kind, row)
  let tokens: Awaited<ReturnType<ReturnType<typeof connectorFor>['exchangeCode']>>
  try {
    tokens = await connectorFor(row.kind as ConnectorSlug).exchangeCode(app, q.code, {
      ...endpoints,
      instanceUrl,
      now: () => deps.clock.now().getTime(),
      timeoutMs: 20_000,
      codeVerifier,
    })
  } catch (err) {
    if (!isConnectorError(err)) throw err
    deps.logger?.warn({ err, integrationId: row.id }, 'OAuth code exchange failed')
    return err.retryable
      ? failed(`${name} did not answer: try connecting again in a moment.`, 502)
      : failed(`${name} refused the authorization code: start the connection again.`)
  }
  const now = deps.clock.now()
  const [connected] = await deps.db
    .update(integrations)
    .set({
      tokens: sealTokens(deps.env, row.id, tokens),
      tokensVersion: row.tokensVersion + 1,
      status: 'connected',
      accountId: tokens.accountId ?? row.accountId,
      instanceUrl: tokens.instanceUrl ?? row.instanceUrl,
      connectedAt: now,
      lastError: null,
      updatedAt: now,
    })
    .where(and(eq(integrations.id, row.id), eq(integrations.companyId, row.companyId)))
    .returning()
  if (!connected) return failed('This integration no longer exists.')
  // Connected whatever the check says: the admin sees the outcome here and in the health fields.
  let check: { ok: true; accountId?: string | null } | { ok: false; reason: string; reauth: boolean }
  try {
    const connector = await openConnector(deps, connected, { timeoutMs: 15_000 })
    await connector.prepare()
    check = await connector.healthCheck()
  } catch (err) {
    if (!isConnectorError(err)) throw err
    check = { ok: false, reason: err.message, reauth: err.reauth }
  }
  await recordHealth(deps.db, connected, deps.clock.now(), check)
  if (!check.ok)
    return {
      ok: true,
      companyId: row.companyId,
      integrationId: row.id,
      title: `${name} connected, with a problem`,
      message: `"${row.name}" is connected, but the first check failed: ${check.reason.slice(0, 200)}. You can close this tab and look at the integration's health in Switchboard.`,
    }
  return {
    ok: true,
    companyId: row.companyId,
    integrationId: row.id,
    title: `${name} connected`,
    message: `"${row.name}" is connected — you can close this tab.`,
  }
}

/**
 * The sandbox consent page's "Allow" (or "Deny"): grants a code on the integration's sandbox CRM,
 * bound to the PKCE challenge when there is one, and answers where to send the browser: the
 * hub's own callback, never a URL taken from the request.
 */
export async function sandboxConsent(
  deps: OAuthDeps,
  input: { state: string; allow: boolean; codeChallenge?: string | undefined },
): Promise<string> {
  const row = await peekOauthState(deps, input.state)
  if (!row?.sandbox || !hasConnector(row.kind)) throw badRequest('state', 'is unknown or expired')
  const callback = new URL(oauthRedirectUri(deps.env))
  callback.searchParams.set('state', input.state)
  if (!input.allow) {
    callback.searchParams.set('error', 'access_denied')
    return callback.toString()
  }
  const code = base64url(randomBytes(24))
  const fake = await sandboxCrm(row.kind, row.id)
  // Entra binds a code to the redirect URI it was granted for: the callback, as the hub sends it.
  if ('orgUrl' in fake)
    fake.grantCode(code, { redirectUri: oauthRedirectUri(deps.env), codeChallenge: input.codeChallenge })
  else if ('rotateRefreshTokens' in fake) fake.grantCode(code, { codeChallenge: input.codeChallenge })
  else fake.grantCode(code)
  callback.searchParams.set('code', code)
  return callback.toString()
}
