import {
  type BatchItemResult,
  type Connector,
  ConnectorError,
  type CrmRecord,
  isConnectorError,
  type LogRecord,
} from '@switchboard/connectors'
import { and, asc, eq, gt, inArray, isNotNull, lt, lte, min, or, type SQL, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../../core/clock.ts'
import { createFairSlots } from '../../core/fair-slots.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database } from '../../db/client.ts'
import { callSyncs, integrations } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { defineJob, type JobInfo, newJobs } from '../../jobs/job-definition.ts'
import type { JobQueue, NewJob } from '../../jobs/queue.ts'
import { type IntegrationRow, isCrm, openConnector } from './connections.ts'
import { accountBudget, forgetAccountBudgets } from './crm-rate-limits.ts'
import { integrationSettings } from './settings.ts'
import { loadSyncCalls, type SyncCall } from './sync-activity.ts'
import { recordSyncBreakage, recordSyncHiccup, recordSyncSuccess } from './sync-health.ts'

/**
 * The CRM sync: brings each linked integration's CRM up to date with the calls of its numbers.
 *
 * The ledger (`call_syncs`, one row per call and integration) is the unit of work. The relay
 * raises a row's `wantedVersion` to the call's version on each call event; a row needs work
 * while `wantedVersion > syncedVersion` and it is pending. The work of one integration is done
 * by `crm-sync/sync-integration` jobs: each takes a round of rows (claimed with a lease, so two
 * runs never write the same call at once), writes them to the CRM, and takes the next round
 * until none is due. A run is bounded in time and queues its own continuation, so a company's
 * backlog waits behind the other companies' jobs instead of holding a worker.
 *
 * Exactly once per (call, integration): before a create is sent, the row's `writeStarted` is
 * committed on its own; the activity id, the synced version and the state are written in one
 * statement after the CRM answered. A crash or a timeout in between leaves `writeStarted`
 * without an activity id, and the next try asks the connector to look the activity up by the
 * call's ref first (`mayExist`): HubSpot's unique call-ref property, Salesforce's CallObject,
 * Zendesk's external_id. Batches (first logs of ended calls) stamp the whole batch the same way.
 */

export const SYNC_QUEUE = 'crm-sync'
/** A claimed row is held this long (business clock): a run that died lets go after it. */
const CLAIM_MS = 60_000
/** A run stops taking rounds after this long (real time) and queues its continuation. */
const RUN_BUDGET_MS = 15_000
/** Retryable failures per row before it is marked failed. */
const MAX_ATTEMPTS = 12
const MAX_BACKOFF_MS = 15 * 60_000
/** Activities per batch request, per CRM (HubSpot batch create: 100; Salesforce collections: 200). */
export const BATCH_SIZE: Record<string, number> = { hubspot: 100, salesforce: 200 }
/** Caller lookups are kept this long (real time) per integration. */
const LOOKUP_TTL_MS = 10 * 60_000

export const syncJobData = z.object({ integrationId: z.number().int().positive() })

export type SyncDeps = { env: Env; db: Database; clock: Clock; queue: JobQueue; logger?: Logger }

export const crmSyncJob = defineJob({
  queue: SYNC_QUEUE,
  name: 'sync-integration',
  schema: syncJobData,
  tries: 5,
  backoffMs: 5_000,
  concurrency: 8,
  handle: (deps: SyncDeps, data, job) => runIntegrationSync(deps, data.integrationId, job),
})

/** A sync run for an integration; `key` names why it was queued (jobs with one key run once). */
export function syncJobs(
  items: readonly { integrationId: number; key: string; delayMs?: number }[],
): NewJob[] {
  return newJobs(
    crmSyncJob,
    items.map((i) => ({
      data: { integrationId: i.integrationId },
      jobKey: `crm-sync:${i.integrationId}:${i.key}`,
      delayMs: i.delayMs,
    })),
  )
}

/** Queues a run now (replays, a reconnected integration). */
export async function queueIntegrationSync(queue: JobQueue, integrationId: number, key: string) {
  await queue.addBulk(syncJobs([{ integrationId, key }]))
}

/**
 * At a worker's start: a run for every integration with rows waiting, in case the jobs that
 * would have taken them were lost (BullMQ without persistence, a crash between commit and add).
 *
 * With `soleWorker` (the embedded database: this process holds DATA_DIR's lock, so no other
 * process syncs), the claims taken before `startedAt` belong to a previous life of this hub that
 * was killed mid-round: they are let go at once rather than after their lease, so a hub
 * restarted after a crash resumes its backlog immediately. Claims taken since `startedAt` are
 * this process's own runs and are left alone. At scale another worker may hold a claim, so the
 * lease is the only safe way out there.
 */
export async function rearmCrmSyncs(
  deps: Pick<SyncDeps, 'db' | 'queue' | 'clock'>,
  opts: { soleWorker?: boolean; startedAt?: Date } = {},
): Promise<number> {
  if (opts.soleWorker) {
    const before = opts.startedAt ?? deps.clock.now()
    await deps.db
      .update(callSyncs)
      .set({ claimedUntil: null })
      .where(
        and(
          isNotNull(callSyncs.claimedUntil),
          or(sql`${callSyncs.lastAttemptAt} is null`, lt(callSyncs.lastAttemptAt, before)),
        ),
      )
  }
  const rows = await deps.db
    .selectDistinct({ integrationId: callSyncs.integrationId })
    .from(callSyncs)
    .where(and(eq(callSyncs.state, 'pending'), gt(callSyncs.wantedVersion, callSyncs.syncedVersion)))
  const at = deps.clock.now().getTime()
  await deps.queue.addBulk(syncJobs(rows.map((r) => ({ integrationId: r.integrationId, key: `boot:${at}` }))))
  return rows.length
}

// ---------------------------------------------------------------------------------------------
// Per-process state: live connectors, rate limiters, caller lookups, pauses after a 429.

type Live = { connector: Connector; row: IntegrationRow; settingsJson: string; prepared: boolean }
const live = new Map<number, Live>()
const lookups = new Map<number, Map<string, { record: CrmRecord | null; at: number }>>()
/** Business-clock ms until which an integration's CRM asked us to wait (429). */
const pausedUntil = new Map<number, number>()
/** No company takes every sync slot of a process, however many integrations it has. */
const slots = createFairSlots({ total: 8, perKey: 3 })

/** Forgets what this process keeps about integrations (tests, a reconnected integration). */
export function resetSyncState(integrationId?: number): void {
  for (const m of [live, lookups, pausedUntil])
    if (integrationId === undefined) m.clear()
    else m.delete(integrationId)
  forgetAccountBudgets(integrationId)
}

async function connectorOf(deps: SyncDeps, row: IntegrationRow): Promise<Live> {
  const settingsJson = JSON.stringify(row.settings)
  const cached = live.get(row.id)
  // The cached connector bumps its row copy's tokensVersion when it refreshes and saves tokens;
  // a higher one in the database means another process did, and this copy is stale.
  if (cached && cached.row.tokensVersion === row.tokensVersion && cached.settingsJson === settingsJson)
    return cached
  const copy: IntegrationRow = { ...row }
  // Every request the connector sends waits for room in the account's budget.
  const connector = await openConnector(deps, copy, { pace: 'wait' })
  const entry: Live = { connector, row: copy, settingsJson, prepared: cached?.prepared ?? false }
  live.set(row.id, entry)
  lookups.delete(row.id)
  return entry
}

// ---------------------------------------------------------------------------------------------

type Ledger = typeof callSyncs.$inferSelect

/**
 * Rounds on one integration at once in a run: while one waits for the CRM, the others claim and
 * load their calls, so the CRM's budget, not the hub's round trips, sets the pace. They all
 * spend the same per-account budget (each request waits for room in it), and a company holds
 * at most three of the process's eight sync slots, however many runs it has.
 */
const LANES = 3

/** Runs rounds for one integration until nothing is due, the run's budget is spent or the CRM says wait. */
export async function runIntegrationSync(
  deps: SyncDeps,
  integrationId: number,
  job?: JobInfo,
): Promise<void> {
  const started = Date.now()
  let round = 0
  let outcome: 'drained' | 'stopped' | 'continued' | null = null
  /** Rounds under way: a lane that finds nothing to claim waits for them, as they may leave rows due at once (a batch's refused items go again the single way). */
  const rounds = new Set<Promise<boolean>>()
  /** One claim and its round: 'empty' when nothing was due, 'stop' when the run must end. */
  const step = async (): Promise<'empty' | 'stop' | 'more'> => {
    const [row] = await deps.db.select().from(integrations).where(eq(integrations.id, integrationId))
    if (outcome !== null) return 'stop'
    if (!row || !isCrm(row.kind)) {
      outcome = 'stopped'
      return 'stop'
    }
    if (!row.active) {
      outcome = 'stopped'
      await skipWaiting(deps, row, 'inactive')
      return 'stop'
    }
    // Not connected (or the grant was refused): the rows wait for the reconnection.
    if (row.status !== 'connected') {
      outcome = 'stopped'
      return 'stop'
    }
    const paused = pausedUntil.get(row.id) ?? 0
    if (paused > deps.clock.now().getTime()) return 'stop'
    const { limit } = accountBudget(deps.env.CRM_RATE_LIMITS, row.id, row.kind)
    const perSecond = (limit.requests / limit.windowMs) * 1000
    const batch = BATCH_SIZE[row.kind] ?? 1
    // At most what 10 s of the budget can carry: requests × the calls one request takes (a
    // budget of 1.2 requests/s, Salesforce's 24 h allocation, still fills 200-call batches).
    const roundSize = Math.max(5, Math.min(Math.max(batch, 20), Math.floor(perSecond * 10) * batch))
    const claimed = await claimInTurn(deps, row.id, roundSize)
    if (claimed.length === 0) return 'empty'
    const current = slots.run(row.companyId, () => syncRound(deps, row, claimed))
    rounds.add(current)
    const stop = await current.finally(() => rounds.delete(current))
    round++
    return stop ? 'stop' : 'more'
  }
  const lane = async () => {
    while (outcome === null) {
      const result = await step()
      if (result === 'stop') outcome ??= 'drained'
      else if (result === 'empty') {
        // Nothing due and no round that may leave some: this lane is done (the others end
        // the same way, or go on with what they claimed).
        if (rounds.size === 0) return
        await Promise.allSettled([...rounds])
      } else if (Date.now() - started > RUN_BUDGET_MS && outcome === null) {
        outcome = 'continued'
        await deps.queue.addBulk(
          syncJobs([{ integrationId, key: `more:${job?.id ?? 'direct'}:${job?.attempt ?? 0}:${round}` }]),
        )
      }
    }
  }
  await Promise.all(Array.from({ length: LANES }, lane))
  outcome ??= 'drained'
  if (outcome === 'drained') await scheduleNextDue(deps, integrationId, job)
}

/** Claims under way per integration in this process, chained. */
const claimQueues = new Map<number, Promise<void>>()

/**
 * claimRows, one at a time per integration in this process: lanes and runs that claimed at the
 * same moment would split a backlog between them (SKIP LOCKED hands each the rows the others
 * have not locked yet), and a split batch costs the CRM's budget a request more. Other
 * processes' runs still split the work with this one's.
 */
async function claimInTurn(deps: SyncDeps, integrationId: number, limit: number): Promise<Ledger[]> {
  const before = claimQueues.get(integrationId) ?? Promise.resolve()
  let done!: () => void
  const mine = new Promise<void>((resolve) => {
    done = resolve
  })
  const tail = before.then(() => mine)
  claimQueues.set(integrationId, tail)
  await before
  try {
    return await claimRows(deps, integrationId, limit)
  } finally {
    done()
    if (claimQueues.get(integrationId) === tail) claimQueues.delete(integrationId)
  }
}

/**
 * Claims up to `limit` due rows of the integration (FOR UPDATE SKIP LOCKED: runs split the work).
 * Two statements in one transaction, not `update … where call_id in (select … limit n for update
 * skip locked)`: PostgreSQL may run such a subquery again for each row it updates, and each run
 * skips the rows this very statement just changed and returns the next n, so the whole backlog
 * was claimed at once (10,000 rows under one 60 s lease).
 */
async function claimRows(deps: SyncDeps, integrationId: number, limit: number): Promise<Ledger[]> {
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const due = await tx
      .select({ callId: callSyncs.callId })
      .from(callSyncs)
      .where(
        and(
          eq(callSyncs.integrationId, integrationId),
          eq(callSyncs.state, 'pending'),
          gt(callSyncs.wantedVersion, callSyncs.syncedVersion),
          or(sql`${callSyncs.claimedUntil} is null`, lte(callSyncs.claimedUntil, now)),
          or(sql`${callSyncs.retryAt} is null`, lte(callSyncs.retryAt, now)),
        ),
      )
      .orderBy(asc(callSyncs.callId))
      .limit(limit)
      .for('update', { skipLocked: true })
    if (due.length === 0) return []
    return tx
      .update(callSyncs)
      .set({ claimedUntil: new Date(now.getTime() + CLAIM_MS), lastAttemptAt: now })
      .where(
        and(
          eq(callSyncs.integrationId, integrationId),
          inArray(
            callSyncs.callId,
            due.map((d) => d.callId),
          ),
        ),
      )
      .returning()
  })
}

/**
 * The next run, at the moment the first waiting row becomes due (backoff, Retry-After, a lease,
 * the integration's pause after a 429), or at once for a row that is due already: time passes
 * between a round's last write and this query, and a row released by a stopped round is due
 * now. Without it such a row would wait for the call's next event.
 */
async function scheduleNextDue(deps: SyncDeps, integrationId: number, job?: JobInfo): Promise<void> {
  const now = deps.clock.now()
  const [next] = await deps.db
    .select({
      at: min(
        sql<Date>`coalesce(greatest(${callSyncs.retryAt}, ${callSyncs.claimedUntil}), ${now.toISOString()}::timestamptz)`,
      ),
    })
    .from(callSyncs)
    .where(
      and(
        eq(callSyncs.integrationId, integrationId),
        eq(callSyncs.state, 'pending'),
        gt(callSyncs.wantedVersion, callSyncs.syncedVersion),
      ),
    )
  if (!next?.at) return
  const at = Math.max(new Date(next.at).getTime(), now.getTime(), pausedUntil.get(integrationId) ?? 0)
  // A run due now is keyed by the run that queued it: on a clock that stands still (tests), an
  // `at:` key would repeat and the queue would take the second one for the first.
  const key = at > now.getTime() ? `at:${at}` : `due:${job?.id ?? 'direct'}:${job?.attempt ?? 0}:${at}`
  await deps.queue.addBulk(syncJobs([{ integrationId, key, delayMs: at - now.getTime() }]))
}

/** Rows waiting for an integration that was turned off: skipped (no back-fill when it is on again). */
async function skipWaiting(deps: SyncDeps, row: IntegrationRow, reason: string) {
  const now = deps.clock.now()
  await deps.db
    .update(callSyncs)
    .set({ state: 'skipped', skipReason: reason, claimedUntil: null, updatedAt: now })
    .where(
      and(
        eq(callSyncs.integrationId, row.id),
        eq(callSyncs.state, 'pending'),
        sql`${callSyncs.activityId} is null`,
      ),
    )
}

type Outcome =
  | { kind: 'synced'; version: number; activityId: string; record: LogRecord | null; media: boolean }
  | { kind: 'skipped'; version: number; reason: string }
  | { kind: 'wait'; version: number }
  | { kind: 'error'; error: ConnectorError }

/**
 * One round: the claimed rows' calls are loaded, each row is decided by the settings, first
 * logs of ended calls go out in batches where the CRM has them, the rest one by one.
 * Returns true when the run should stop (the CRM said wait, or refused the grant).
 */
async function syncRound(deps: SyncDeps, row: IntegrationRow, claimed: Ledger[]): Promise<boolean> {
  const settings = integrationSettings(row)
  const callsById = await loadSyncCalls(
    deps.db,
    deps,
    row.companyId,
    claimed.map((r) => r.callId),
  )
  const decided: { ledger: Ledger; outcome: Outcome }[] = []
  const work: { ledger: Ledger; call: SyncCall }[] = []
  for (const ledger of claimed) {
    const call = callsById.get(ledger.callId)
    const version = Math.max(ledger.wantedVersion, call?.version ?? 0)
    if (!call) decided.push({ ledger, outcome: { kind: 'skipped', version, reason: 'call_deleted' } })
    else if (!call.activity)
      decided.push({ ledger, outcome: { kind: 'skipped', version, reason: 'anonymous' } })
    else if (settings.businessHoursOnly && !call.inBusinessHours && !ledger.activityId)
      decided.push({ ledger, outcome: { kind: 'skipped', version, reason: 'outside_business_hours' } })
    else {
      const mode = settings.log[call.kind]
      if (call.ended && mode === 'off' && !ledger.activityId)
        decided.push({ ledger, outcome: { kind: 'skipped', version, reason: 'call_type_off' } })
      else if (!call.ended && mode !== 'in_progress')
        // Logged once it ends: fewer writes, and the activity is complete from the start.
        decided.push({ ledger, outcome: { kind: 'wait', version } })
      else work.push({ ledger, call })
    }
  }
  await writeOutcomes(deps, row, decided)

  let entry: Live
  try {
    entry = await connectorOf(deps, row)
    if (!entry.prepared) {
      await entry.connector.prepare()
      entry.prepared = true
    }
  } catch (e) {
    return failRound(deps, row, work, toConnectorError(e))
  }

  const batchSize = BATCH_SIZE[row.kind] ?? 1
  const batchable = work.filter(
    (w) => batchSize > 1 && w.call.ended && !w.ledger.activityId && !w.ledger.writeStarted,
  )
  const single = work.filter((w) => !batchable.includes(w))
  let successes = 0
  for (let i = 0; i < batchable.length; i += batchSize) {
    const chunk = batchable.slice(i, i + batchSize)
    const result = await logBatch(deps, row, entry, chunk, settings.unknownNumber)
    successes += result.successes
    if (result.stop) {
      await release(
        deps,
        row,
        [...batchable.slice(i + batchSize), ...single].map((w) => w.ledger),
        result.waitMs,
      )
      if (successes > 0) await recordSyncSuccess(deps.db, deps.clock, row.id)
      return true
    }
  }
  for (const [i, w] of single.entries()) {
    const outcome = await logOne(deps, row, entry, w.ledger, w.call, settings.unknownNumber)
    await writeOutcomes(deps, row, [{ ledger: w.ledger, outcome }])
    if (outcome.kind === 'synced') successes++
    if (outcome.kind === 'error' && (outcome.error.retryable || outcome.error.reauth)) {
      await release(
        deps,
        row,
        single.slice(i + 1).map((x) => x.ledger),
        retryWaitMs(outcome.error, w.ledger.attempts + 1),
      )
      if (successes > 0) await recordSyncSuccess(deps.db, deps.clock, row.id)
      await noteError(deps, row, outcome.error)
      return true
    }
    if (outcome.kind === 'error') await noteError(deps, row, outcome.error)
  }
  if (successes > 0) await recordSyncSuccess(deps.db, deps.clock, row.id)
  return false
}

function toConnectorError(e: unknown): ConnectorError {
  if (isConnectorError(e)) return e
  const message = e instanceof Error ? e.message : String(e)
  return new ConnectorError('unavailable', message, { cause: e })
}

async function failRound(
  deps: SyncDeps,
  row: IntegrationRow,
  work: { ledger: Ledger }[],
  error: ConnectorError,
): Promise<boolean> {
  await writeOutcomes(
    deps,
    row,
    work.map((w) => ({ ledger: w.ledger, outcome: { kind: 'error' as const, error } })),
  )
  await noteError(deps, row, error)
  return true
}

/** Health and pauses after an error: 429 pauses the integration; permanent ones make it unhealthy. */
async function noteError(deps: SyncDeps, row: IntegrationRow, error: ConnectorError) {
  if (error.code === 'rate_limited') {
    const wait = error.retryAfterMs ?? 10_000
    pausedUntil.set(row.id, deps.clock.now().getTime() + wait)
  }
  if (error.reauth) {
    live.delete(row.id)
    await recordSyncBreakage(deps, row.id, error.message, { reauth: true })
  } else if (error.retryable) await recordSyncHiccup(deps.db, deps.clock, row.id, error.message)
  else await recordSyncBreakage(deps, row.id, error.message, { reauth: false })
}

function lookupCache(integrationId: number) {
  let cache = lookups.get(integrationId)
  if (!cache) {
    cache = new Map()
    lookups.set(integrationId, cache)
  }
  return cache
}

/**
 * The records of a batch's callers that are not known yet, in the CRM's multi-number search
 * when it has one (one request for many callers); empty when it has none.
 */
async function prefetchRecords(
  row: IntegrationRow,
  entry: Live,
  chunk: { ledger: Ledger; call: SyncCall }[],
  policy: string,
): Promise<ReadonlyMap<string, CrmRecord[]>> {
  const lookupMany = entry.connector.lookupMany?.bind(entry.connector)
  if (!lookupMany) return new Map()
  const cache = lookupCache(row.id)
  const now = Date.now()
  const wanted = new Set<string>()
  for (const w of chunk) {
    if (w.ledger.recordId) continue
    const e164 = w.call.activity!.external_number
    const hit = cache.get(e164)
    if (hit && now - hit.at < LOOKUP_TTL_MS && (hit.record || policy === 'nothing')) continue
    wanted.add(e164)
  }
  // Numbers another round is already looking up are waited for, not asked again.
  const fresh = [...wanted].filter((e164) => !inFlight.has(`${row.id}:${e164}`))
  if (fresh.length > 0) {
    const all = lookupMany(fresh)
    for (const e164 of fresh) {
      const key = `${row.id}:${e164}`
      const one = all.then((found) => found.get(e164) ?? [])
      inFlight.set(key, one)
      void one.then(
        () => inFlight.delete(key),
        () => inFlight.delete(key),
      )
    }
  }
  // Taken before the first await: a settled lookup leaves `inFlight` as soon as it resolves.
  const pending = [...wanted].flatMap((e164) => {
    const p = inFlight.get(`${row.id}:${e164}`)
    return p ? [p.then((found) => [e164, found] as const)] : []
  })
  return new Map(await Promise.all(pending))
}

/** Lookups and record creations under way, per integration and number (rounds run at once). */
const inFlight = new Map<string, Promise<CrmRecord[]>>()
const resolving = new Map<string, Promise<LogRecord | null>>()

/**
 * The caller's record in the CRM (cached per integration), created by the unknown-number policy.
 * One resolution per number at a time: two rounds with calls from one new number must not
 * create two contacts.
 */
async function recordFor(
  deps: SyncDeps,
  row: IntegrationRow,
  entry: Live,
  ledger: Ledger,
  e164: string,
  policy: string,
  prefetched?: ReadonlyMap<string, CrmRecord[]>,
): Promise<LogRecord | null> {
  if (ledger.recordId && ledger.recordType)
    return { id: ledger.recordId, type: ledger.recordType as LogRecord['type'] }
  const hit = lookupCache(row.id).get(e164)
  if (hit && Date.now() - hit.at < LOOKUP_TTL_MS && (hit.record || policy === 'nothing')) return hit.record
  const key = `${row.id}:${e164}`
  let pending = resolving.get(key)
  if (!pending) {
    pending = resolveRecord(deps, row, entry, ledger, e164, policy, prefetched)
    resolving.set(key, pending)
    void pending.then(
      () => resolving.delete(key),
      () => resolving.delete(key),
    )
  }
  return pending
}

async function resolveRecord(
  deps: SyncDeps,
  row: IntegrationRow,
  entry: Live,
  ledger: Ledger,
  e164: string,
  policy: string,
  prefetched?: ReadonlyMap<string, CrmRecord[]>,
): Promise<LogRecord | null> {
  const found = prefetched?.get(e164) ?? (await entry.connector.lookupByPhone(e164))
  let record: CrmRecord | null = found[0] ?? null
  if (!record && policy !== 'nothing') {
    record = await entry.connector.createContact({ e164 })
    if (record)
      // Kept at once: a retry after a crash logs on this record instead of creating another.
      await deps.db
        .update(callSyncs)
        .set({ recordId: record.id, recordType: record.type })
        .where(and(eq(callSyncs.callId, ledger.callId), eq(callSyncs.integrationId, row.id)))
  }
  const cache = lookupCache(row.id)
  cache.set(e164, { record, at: Date.now() })
  if (cache.size > 10_000) cache.delete(cache.keys().next().value!)
  return record
}

const asLogRecord = (r: CrmRecord | LogRecord | null): LogRecord | null =>
  r ? { id: r.id, type: r.type, accountId: r.accountId ?? null, name: r.name ?? null } : null

/** One call: create or update its activity, then the media if it came after the activity. */
async function logOne(
  deps: SyncDeps,
  row: IntegrationRow,
  entry: Live,
  ledger: Ledger,
  call: SyncCall,
  policy: string,
): Promise<Outcome> {
  const activity = call.activity!
  const version = Math.max(ledger.wantedVersion, call.version)
  try {
    const record = asLogRecord(await recordFor(deps, row, entry, ledger, activity.external_number, policy))
    if (!ledger.activityId && !ledger.writeStarted) {
      // Committed before the CRM sees the create: after a crash, the next try looks first.
      await deps.db
        .update(callSyncs)
        .set({ writeStarted: true })
        .where(and(eq(callSyncs.callId, ledger.callId), eq(callSyncs.integrationId, row.id)))
    }
    const mayExist = ledger.writeStarted && !ledger.activityId
    const logged = await entry.connector.logCall(activity, {
      record,
      activityId: ledger.activityId,
      mayExist,
    })
    let media = ledger.mediaSynced || (!ledger.activityId && call.hasMedia)
    if (call.hasMedia && !media) {
      try {
        await entry.connector.attachMedia(logged.id, {
          recordingUrl: activity.recording_url ?? null,
          voicemailUrl: activity.voicemail_url ?? null,
        })
        media = true
      } catch (e) {
        // A link the CRM cannot take (HubSpot plays https only) does not undo the log.
        if (!(isConnectorError(e) && e.code === 'invalid')) throw e
      }
    }
    return { kind: 'synced', version, activityId: logged.id, record, media }
  } catch (e) {
    return { kind: 'error', error: toConnectorError(e) }
  }
}

/**
 * First logs of ended calls in one request (HubSpot batch create, Salesforce collections).
 * The whole batch is stamped `writeStarted` first; an item the CRM did not create, or a batch
 * whose answer was lost, goes the single way next time, with its ref looked up first.
 */
async function logBatch(
  deps: SyncDeps,
  row: IntegrationRow,
  entry: Live,
  chunk: { ledger: Ledger; call: SyncCall }[],
  policy: string,
): Promise<{ successes: number; stop: boolean; waitMs?: number }> {
  const items: { ledger: Ledger; call: SyncCall; record: LogRecord | null }[] = []
  try {
    const prefetched = await prefetchRecords(row, entry, chunk, policy)
    for (const w of chunk)
      items.push({
        ...w,
        record: asLogRecord(
          await recordFor(deps, row, entry, w.ledger, w.call.activity!.external_number, policy, prefetched),
        ),
      })
  } catch (e) {
    const error = toConnectorError(e)
    await writeOutcomes(
      deps,
      row,
      chunk.map((w) => ({ ledger: w.ledger, outcome: { kind: 'error' as const, error } })),
    )
    await noteError(deps, row, error)
    return {
      successes: 0,
      stop: error.retryable || error.reauth,
      waitMs: retryWaitMs(error, chunk[0]!.ledger.attempts + 1),
    }
  }
  await deps.db
    .update(callSyncs)
    .set({ writeStarted: true })
    .where(
      and(
        eq(callSyncs.integrationId, row.id),
        inArray(
          callSyncs.callId,
          items.map((i) => i.ledger.callId),
        ),
      ),
    )
  for (const i of items) i.ledger.writeStarted = true
  let results: BatchItemResult[]
  try {
    results = await entry.connector.logCalls(items.map((i) => ({ call: i.call.activity!, record: i.record })))
  } catch (e) {
    const error = toConnectorError(e)
    await writeOutcomes(
      deps,
      row,
      items.map((i) => ({ ledger: i.ledger, outcome: { kind: 'error' as const, error } })),
    )
    await noteError(deps, row, error)
    return {
      successes: 0,
      stop: error.retryable || error.reauth,
      waitMs: retryWaitMs(error, items[0]!.ledger.attempts + 1),
    }
  }
  const byRef = new Map(results.map((r) => [r.callRef, r]))
  const outcomes: { ledger: Ledger; outcome: Outcome }[] = []
  let successes = 0
  let permanent: ConnectorError | null = null
  for (const i of items) {
    const r = byRef.get(i.call.activity!.call_ref)
    const version = Math.max(i.ledger.wantedVersion, i.call.version)
    if (r?.ok) {
      successes++
      outcomes.push({
        ledger: i.ledger,
        outcome: {
          kind: 'synced',
          version,
          activityId: r.activityId,
          record: i.record,
          media: i.call.hasMedia,
        },
      })
    } else {
      const error =
        r && !r.ok ? r.error : new ConnectorError('unavailable', 'The CRM did not answer for this call')
      // A conflict: an earlier try created it; the single way finds it by ref.
      const retry = error.code === 'conflict' ? new ConnectorError('unavailable', error.message) : error
      if (!retry.retryable) permanent = retry
      outcomes.push({ ledger: i.ledger, outcome: { kind: 'error', error: retry } })
    }
  }
  await writeOutcomes(deps, row, outcomes, { immediateRetry: true })
  if (permanent) await noteError(deps, row, permanent)
  return { successes, stop: false }
}

const backoffMs = (attempts: number) => Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1))
/** How long a row waits after a retryable failure at its `attempts`-th try. */
const retryWaitMs = (error: ConnectorError, attempts: number) => error.retryAfterMs ?? backoffMs(attempts)

/**
 * Writes outcomes and lets go of the rows: the synced rows in one statement, the failed ones in
 * another, the few others one by one, all in one transaction. A row whose call changed while it
 * was claimed (`wantedVersion` raised by the relay) stays pending for the next round.
 */
async function writeOutcomes(
  deps: SyncDeps,
  row: IntegrationRow,
  list: { ledger: Ledger; outcome: Outcome }[],
  opts: { immediateRetry?: boolean } = {},
) {
  if (list.length === 0) return
  const now = deps.clock.now()
  const at = now.toISOString()
  const synced: SQL[] = []
  const failed: SQL[] = []
  const others: { callId: number; outcome: Extract<Outcome, { kind: 'skipped' | 'wait' }> }[] = []
  for (const { ledger, outcome } of list) {
    switch (outcome.kind) {
      case 'synced':
        synced.push(
          sql`(${ledger.callId}::bigint, ${outcome.activityId}::text, ${outcome.record?.id ?? null}::text, ${outcome.record?.type ?? null}::text, ${outcome.version}::int, ${outcome.media}::boolean)`,
        )
        break
      case 'error': {
        const { error } = outcome
        const attempts = ledger.attempts + 1
        const giveUp = !error.retryable && !error.reauth ? true : error.retryable && attempts >= MAX_ATTEMPTS
        const wait = opts.immediateRetry && error.retryable ? 0 : retryWaitMs(error, attempts)
        const retryAt = giveUp || error.reauth ? null : new Date(now.getTime() + wait).toISOString()
        failed.push(
          sql`(${ledger.callId}::bigint, ${giveUp ? 'failed' : 'pending'}::text, ${attempts}::int, ${`${error.code}: ${error.message}`.slice(0, 1000)}::text, ${retryAt}::timestamptz)`,
        )
        break
      }
      default:
        others.push({ callId: ledger.callId, outcome })
    }
  }
  const write = async (tx: Pick<Database, 'update' | 'execute'>) => {
    if (synced.length > 0)
      await tx.execute(sql`
        update call_syncs c set
          activity_id = v.activity_id, record_id = v.record_id, record_type = v.record_type,
          synced_version = v.version, media_synced = v.media,
          state = case when c.wanted_version > v.version then 'pending' else 'synced' end,
          attempts = c.attempts + 1, last_error = null, retry_at = null, claimed_until = null,
          synced_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
        from (values ${sql.join(synced, sql`, `)}) as v(call_id, activity_id, record_id, record_type, version, media)
        where c.integration_id = ${row.id} and c.call_id = v.call_id`)
    if (failed.length > 0)
      await tx.execute(sql`
        update call_syncs c set
          state = v.state, attempts = v.attempts, last_error = v.last_error, retry_at = v.retry_at,
          claimed_until = null, updated_at = ${at}::timestamptz
        from (values ${sql.join(failed, sql`, `)}) as v(call_id, state, attempts, last_error, retry_at)
        where c.integration_id = ${row.id} and c.call_id = v.call_id`)
    for (const { callId, outcome } of others) {
      const where = and(eq(callSyncs.callId, callId), eq(callSyncs.integrationId, row.id))
      if (outcome.kind === 'skipped')
        await tx
          .update(callSyncs)
          .set({
            state: 'skipped',
            skipReason: outcome.reason,
            syncedVersion: outcome.version,
            claimedUntil: null,
            updatedAt: now,
          })
          .where(where)
      else
        await tx
          .update(callSyncs)
          .set({ syncedVersion: outcome.version, claimedUntil: null, updatedAt: now })
          .where(where)
    }
  }
  const statements = (synced.length > 0 ? 1 : 0) + (failed.length > 0 ? 1 : 0) + others.length
  if (statements === 1) await write(deps.db)
  else await deps.db.transaction(write)
}

/**
 * Lets go of rows a round did not get to (their state is unchanged). After the CRM failed, they
 * wait as long as the row that failed (`waitMs`): the next run must not try them at once
 * against a CRM that is down, one failed request per run.
 */
async function release(deps: SyncDeps, row: IntegrationRow, rows: Ledger[], waitMs?: number) {
  if (rows.length === 0) return
  const retryAt = waitMs ? new Date(deps.clock.now().getTime() + waitMs) : undefined
  await deps.db
    .update(callSyncs)
    .set({ claimedUntil: null, ...(retryAt ? { retryAt } : {}) })
    .where(
      and(
        eq(callSyncs.integrationId, row.id),
        inArray(
          callSyncs.callId,
          rows.map((r) => r.callId),
        ),
      ),
    )
}
