import { type ConnectorSlug, connectorRegistry, isConnectorError } from '@switchboard/connectors'
import { and, asc, count, eq, inArray, isNull, lt, sql } from 'drizzle-orm'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import type { Queryable } from '../../db/client.ts'
import {
  callSyncs,
  type IntegrationKind,
  integrationNumbers,
  integrationOauthStates,
  integrations,
  numbers,
} from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import type { ServiceContext } from '../context.ts'
import {
  catalogue,
  type IntegrationRow,
  isCrm,
  NotConnectedError,
  oauthApp,
  openConnector,
} from './connections.ts'
import { type IntegrationResource, type LedgerCounts, toIntegrationJson } from './integration-json.ts'
import { sandboxAvailable, sandboxCrm } from './sandbox-crms.ts'
import {
  applySettingsUpdate,
  defaultIntegrationSettings,
  integrationSettings,
  type SettingsUpdate,
} from './settings.ts'

/** Services of the integrations API: ServiceContext plus the environment (OAuth apps, key ring). */
export type IntegrationContext = ServiceContext & { env: Env; logger?: Logger }

/** The env vars holding each CRM's OAuth app. */
export const oauthEnvVars: Record<Exclude<IntegrationKind, 'weather'>, [string, string]> = {
  hubspot: ['HUBSPOT_CLIENT_ID', 'HUBSPOT_CLIENT_SECRET'],
  salesforce: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
  zendesk: ['ZENDESK_CLIENT_ID', 'ZENDESK_CLIENT_SECRET'],
  dynamics: ['DYNAMICS_CLIENT_ID', 'DYNAMICS_CLIENT_SECRET'],
}

/** Whether this build has a connector for the kind (Dynamics arrives with its connector). */
export const hasConnector = (kind: IntegrationKind): kind is ConnectorSlug & IntegrationKind =>
  isCrm(kind) && Object.hasOwn(connectorRegistry, kind)

const sandboxOffered = (env: Env, kind: IntegrationKind) =>
  env.SANDBOX_CRMS && hasConnector(kind) && sandboxAvailable(kind)

export function listCatalogue(env: Env) {
  return catalogue.map((c) => ({
    kind: c.kind,
    name: c.name,
    auth: c.auth,
    needs: c.needs,
    logs_calls: c.logsCalls,
    available: c.kind === 'weather' || hasConnector(c.kind),
    oauth_configured:
      c.kind === 'weather' ? true : hasConnector(c.kind) && oauthApp(env, c.kind, false) !== null,
    oauth_env: c.kind === 'weather' ? [] : oauthEnvVars[c.kind],
    sandbox_available: c.kind !== 'weather' && sandboxOffered(env, c.kind),
  }))
}

const ofCompany = (ctx: ServiceContext, id: number) =>
  and(eq(integrations.companyId, ctx.companyId), eq(integrations.id, id))

export async function findIntegration(
  db: Queryable,
  ctx: ServiceContext,
  id: number,
): Promise<IntegrationRow> {
  const [row] = await db.select().from(integrations).where(ofCompany(ctx, id)).limit(1)
  if (!row) throw notFound('Integration not found')
  return row
}

async function numberIdsOf(db: Queryable, ids: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>(ids.map((id) => [id, []]))
  if (ids.length === 0) return out
  const rows = await db
    .select({ integrationId: integrationNumbers.integrationId, numberId: integrationNumbers.numberId })
    .from(integrationNumbers)
    .where(inArray(integrationNumbers.integrationId, ids))
    .orderBy(asc(integrationNumbers.numberId))
  for (const r of rows) out.get(r.integrationId)?.push(r.numberId)
  return out
}

async function ledgerCountsOf(db: Queryable, ids: number[]): Promise<Map<number, LedgerCounts>> {
  const out = new Map<number, LedgerCounts>(ids.map((id) => [id, { pending: 0, failed: 0 }]))
  if (ids.length === 0) return out
  const rows = await db
    .select({ integrationId: callSyncs.integrationId, state: callSyncs.state, n: count() })
    .from(callSyncs)
    .where(and(inArray(callSyncs.integrationId, ids), inArray(callSyncs.state, ['pending', 'failed'])))
    .groupBy(callSyncs.integrationId, callSyncs.state)
  for (const r of rows) {
    const c = out.get(r.integrationId)
    if (c && (r.state === 'pending' || r.state === 'failed')) c[r.state] = Number(r.n)
  }
  return out
}

async function toJson(
  db: Queryable,
  ctx: ServiceContext,
  rows: IntegrationRow[],
): Promise<IntegrationResource[]> {
  const ids = rows.map((r) => r.id)
  const [nums, counts] = await Promise.all([numberIdsOf(db, ids), ledgerCountsOf(db, ids)])
  return rows.map((r) =>
    toIntegrationJson(r, nums.get(r.id) ?? [], counts.get(r.id) ?? { pending: 0, failed: 0 }, ctx.links),
  )
}

export async function listIntegrations(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = eq(integrations.companyId, ctx.companyId)
  const [total] = await ctx.db.select({ n: count() }).from(integrations).where(where)
  const rows = await ctx.db
    .select()
    .from(integrations)
    .where(where)
    .orderBy(q.order === 'desc' ? sql`${integrations.id} desc` : asc(integrations.id))
    .offset(offset)
    .limit(limit)
  return { integrations: await toJson(ctx.db, ctx, rows), total: total?.n ?? 0 }
}

export async function getIntegration(ctx: ServiceContext, id: number): Promise<IntegrationResource> {
  const row = await findIntegration(ctx.db, ctx, id)
  return (await toJson(ctx.db, ctx, [row]))[0]!
}

export type CreateIntegrationInput = {
  kind: IntegrationKind
  name: string
  sandbox?: boolean | undefined
  subdomain?: string | undefined
  instance_url?: string | undefined
}

/** The account's own host, where the CRM has one per account. */
function instanceUrlFor(input: CreateIntegrationInput, sandbox: boolean): string | null {
  if (sandbox) return null
  if (input.kind === 'zendesk') {
    if (!input.subdomain)
      throw badRequest('subdomain', 'is required for Zendesk (the <subdomain> of <subdomain>.zendesk.com)')
    return `https://${input.subdomain}.zendesk.com`
  }
  if (input.kind === 'dynamics') {
    if (!input.instance_url)
      throw badRequest('instance_url', 'is required for Dynamics 365 (https://<org>.crm.dynamics.com)')
    return input.instance_url.replace(/\/+$/, '')
  }
  return null
}

export async function createIntegration(
  ctx: IntegrationContext,
  input: CreateIntegrationInput,
): Promise<IntegrationResource> {
  const { kind } = input
  const now = ctx.clock.now()
  const weather = kind === 'weather'
  const sandbox = !weather && input.sandbox === true
  if (!weather) {
    const entry = catalogue.find((c) => c.kind === kind)!
    if (!hasConnector(kind))
      throw badRequest('kind', `${entry.name} is not available in this version of Switchboard`)
    if (sandbox && !sandboxOffered(ctx.env, kind))
      throw badRequest('sandbox', `no sandbox ${entry.name} on this hub (SANDBOX_CRMS is off)`)
    if (!sandbox && !oauthApp(ctx.env, kind, false)) {
      const [id, secret] = oauthEnvVars[kind]
      throw badRequest(
        'kind',
        `the ${entry.name} OAuth app is not configured: set ${id} and ${secret} on the hub (README, "CRM integrations"), or create a sandbox integration`,
      )
    }
  }
  const instanceUrl = weather ? null : instanceUrlFor(input, sandbox)
  const actorUser = ctx.actor.type === 'user' ? ctx.actor.userId : null
  const [row] = await ctx.db
    .insert(integrations)
    .values({
      companyId: ctx.companyId,
      kind,
      name: input.name,
      sandbox,
      active: true,
      status: weather ? 'connected' : 'pending',
      settings: defaultIntegrationSettings(),
      instanceUrl,
      createdBy: actorUser,
      createdAt: now,
      updatedAt: now,
      connectedAt: weather ? now : null,
    })
    .onConflictDoNothing()
    .returning()
  if (!row)
    throw new DomainError('conflict', 'name: an integration with this name already exists', { field: 'name' })
  return (await toJson(ctx.db, ctx, [row]))[0]!
}

export async function setIntegrationActive(
  ctx: ServiceContext,
  id: number,
  active: boolean,
): Promise<IntegrationResource> {
  const [row] = await ctx.db
    .update(integrations)
    .set({ active, updatedAt: ctx.clock.now() })
    .where(ofCompany(ctx, id))
    .returning()
  if (!row) throw notFound('Integration not found')
  return (await toJson(ctx.db, ctx, [row]))[0]!
}

export async function updateIntegrationSettings(
  ctx: ServiceContext,
  id: number,
  update: SettingsUpdate,
): Promise<IntegrationResource> {
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(integrations).where(ofCompany(ctx, id)).for('update')
    if (!row) throw notFound('Integration not found')
    if (row.kind === 'weather') throw badRequest('(body)', 'the weather app has no settings')
    const next = applySettingsUpdate(row.kind, integrationSettings(row), update)
    if (!next.ok) throw badRequest(next.field, next.message)
    const [updated] = await tx
      .update(integrations)
      .set({ settings: next.settings, updatedAt: ctx.clock.now() })
      .where(ofCompany(ctx, id))
      .returning()
    return (await toJson(tx, ctx, [updated!]))[0]!
  })
}

/** Links numbers of the company (idempotent); another company's or a released number is a 404. */
export async function linkNumbers(
  ctx: ServiceContext,
  id: number,
  numberIds: number[],
): Promise<IntegrationResource> {
  const wanted = [...new Set(numberIds)]
  return ctx.db.transaction(async (tx) => {
    const row = await findIntegration(tx, ctx, id)
    const found = await tx
      .select({ id: numbers.id })
      .from(numbers)
      .where(
        and(eq(numbers.companyId, ctx.companyId), inArray(numbers.id, wanted), isNull(numbers.releasedAt)),
      )
    const known = new Set(found.map((n) => n.id))
    const missing = wanted.find((n) => !known.has(n))
    if (missing !== undefined) throw notFound(`Number ${missing} not found`)
    const now = ctx.clock.now()
    await tx
      .insert(integrationNumbers)
      .values(
        wanted.map((numberId) => ({ integrationId: id, numberId, companyId: ctx.companyId, createdAt: now })),
      )
      .onConflictDoNothing()
    return (await toJson(tx, ctx, [row]))[0]!
  })
}

export async function unlinkNumber(ctx: ServiceContext, id: number, numberId: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await findIntegration(tx, ctx, id)
    const gone = await tx
      .delete(integrationNumbers)
      .where(
        and(
          eq(integrationNumbers.integrationId, id),
          eq(integrationNumbers.numberId, numberId),
          eq(integrationNumbers.companyId, ctx.companyId),
        ),
      )
      .returning({ numberId: integrationNumbers.numberId })
    if (gone.length === 0) throw notFound('This number is not linked to the integration')
  })
}

/** The integrations a number of the company is linked to ("Intégrations liées"). */
export async function integrationsOfNumber(ctx: ServiceContext, numberId: number) {
  return ctx.db
    .select({ id: integrations.id, name: integrations.name, kind: integrations.kind })
    .from(integrationNumbers)
    .innerJoin(integrations, eq(integrations.id, integrationNumbers.integrationId))
    .where(and(eq(integrationNumbers.numberId, numberId), eq(integrationNumbers.companyId, ctx.companyId)))
    .orderBy(asc(integrations.id))
}

/** Health columns after a check: a success ends the unhealthy spell, a failure starts one. */
export async function recordHealth(
  db: Queryable,
  row: Pick<IntegrationRow, 'id' | 'companyId'>,
  now: Date,
  result: { ok: true; accountId?: string | null } | { ok: false; reason: string; reauth: boolean },
): Promise<void> {
  const where = and(eq(integrations.id, row.id), eq(integrations.companyId, row.companyId))
  if (result.ok) {
    await db
      .update(integrations)
      .set({
        lastSuccessAt: now,
        unhealthySince: null,
        unhealthyMailedAt: null,
        ...(result.accountId ? { accountId: result.accountId } : {}),
        updatedAt: now,
      })
      .where(where)
    return
  }
  await db
    .update(integrations)
    .set({
      lastErrorAt: now,
      lastError: result.reason.slice(0, 500),
      unhealthySince: sql`coalesce(${integrations.unhealthySince}, ${now.toISOString()}::timestamptz)`,
      ...(result.reauth ? { status: 'reauth' as const } : {}),
      updatedAt: now,
    })
    .where(where)
}

export async function runHealthCheck(ctx: IntegrationContext, id: number): Promise<IntegrationResource> {
  const row = await findIntegration(ctx.db, ctx, id)
  if (row.kind === 'weather') return getIntegration(ctx, id)
  if (row.status === 'pending' || !row.tokens)
    throw new DomainError('conflict', 'The integration is not connected yet: connect it first')
  let result: Awaited<ReturnType<Awaited<ReturnType<typeof openConnector>>['healthCheck']>>
  try {
    const connector = await openConnector(ctx, row, { timeoutMs: 15_000 })
    result = await connector.healthCheck()
  } catch (err) {
    if (!(err instanceof NotConnectedError) && !isConnectorError(err)) throw err
    result = { ok: false, reason: err.message, reauth: isConnectorError(err) && err.reauth }
  }
  await recordHealth(ctx.db, row, ctx.clock.now(), result)
  return getIntegration(ctx, id)
}

/**
 * Revokes the grant at the CRM (best effort: an unreachable CRM does not keep the integration
 * alive), then deletes the row; its linked numbers, OAuth states and ledger rows go with it.
 */
export async function deleteIntegration(
  ctx: IntegrationContext,
  id: number,
): Promise<{ revoked: boolean | null }> {
  const row = await findIntegration(ctx.db, ctx, id)
  let revoked: boolean | null = null
  if (isCrm(row.kind) && row.tokens && row.status !== 'pending') {
    try {
      const connector = await openConnector(ctx, row, { timeoutMs: 10_000 })
      await connector.revoke()
      revoked = true
    } catch (err) {
      revoked = false
      ctx.logger?.warn({ err, integrationId: row.id }, 'could not revoke the CRM tokens; deleting anyway')
    }
  }
  await ctx.db.delete(integrations).where(ofCompany(ctx, id))
  return { revoked }
}

/** Drops OAuth states past their expiry (they can no longer be used anyway). */
export async function pruneOauthStates(db: Queryable, now: Date): Promise<void> {
  await db.delete(integrationOauthStates).where(lt(integrationOauthStates.expiresAt, now))
}

export type SandboxItem = {
  /**
   * HubSpot `call` / `contact`; Salesforce `task`, `contact`, `lead`, `account`; Zendesk `ticket` /
   * `user`; Dynamics `phonecall`, `contact`, `lead`, `account`.
   */
  type: string
  id: string
  created_at: string | null
  properties: Record<string, unknown>
}

/** What the integration's sandbox CRM received (`sb crm:activities`): its activities and records. */
export async function sandboxActivities(
  ctx: IntegrationContext,
  id: number,
): Promise<{ activities: SandboxItem[]; records: SandboxItem[] }> {
  const row = await findIntegration(ctx.db, ctx, id)
  if (!row.sandbox || !hasConnector(row.kind) || !sandboxOffered(ctx.env, row.kind))
    throw new DomainError('conflict', 'Only a sandbox integration has a sandbox CRM to read')
  const fake = await sandboxCrm(row.kind, row.id)
  if ('calls' in fake) {
    const item = (
      type: string,
      o: { id: string; createdAt: string; properties: object; associations: unknown },
    ) => ({
      type,
      id: o.id,
      created_at: o.createdAt,
      properties: { ...o.properties, associations: o.associations },
    })
    return {
      activities: [...fake.calls.values()].map((o) => item('call', o)),
      records: [...fake.contacts.values()].map((o) => item('contact', o)),
    }
  }
  if ('tasks' in fake) {
    const item = ({
      Id,
      CreatedDate,
      type,
      ...fields
    }: {
      Id: string
      CreatedDate: string
      type: string
    }) => ({
      type: type.toLowerCase(),
      id: Id,
      created_at: CreatedDate,
      properties: fields,
    })
    const all = [...fake.records.values()]
    return {
      activities: all.filter((r) => r.type === 'Task').map(item),
      records: all.filter((r) => r.type !== 'Task' && r.type !== 'User').map(item),
    }
  }
  if ('phonecalls' in fake) {
    // Dataverse names a row's key after its table (activityid, contactid…) and dates it createdon.
    const item = (
      type: string,
      key: string,
      { [key]: rowId, createdon, ...fields }: Record<string, unknown>,
    ) => ({
      type,
      id: String(rowId),
      created_at: String(createdon),
      properties: fields,
    })
    return {
      // With their parties (the caller's record as Sender or ToRecipient, the agent's user).
      activities: fake.phonecalls().map((r) => item('phonecall', 'activityid', r)),
      records: (['contact', 'lead', 'account'] as const).flatMap((type) =>
        [...fake.rows[`${type}s`].values()].map((r) => item(type, `${type}id`, r)),
      ),
    }
  }
  return {
    activities: [...fake.tickets.values()].map(({ id: tid, created_at, ...t }) => ({
      type: 'ticket',
      id: String(tid),
      created_at,
      properties: t,
    })),
    records: [...fake.users.values()]
      .filter((u) => u.role === 'end-user')
      .map(({ id: uid, created_at, ...u }) => ({ type: 'user', id: String(uid), created_at, properties: u })),
  }
}
