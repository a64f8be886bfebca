/**
 * `npm run bench -- sync [--crm hubspot,salesforce,zendesk,dynamics] [--calls N]
 *   [--hubspot-calls N] [--salesforce-calls N] [--zendesk-calls N] [--dynamics-calls N]`:
 * an embedded hub (`node --import tsx hub/src/main.ts`, its own DATA_DIR) works off a backlog of
 * ended calls to each CRM's fake, in this process, which enforces the vendor's request limit.
 * The hub is told the same limit (CRM_RATE_LIMITS), as an operator would tell it their plan's.
 *
 * The scenario, per CRM, one after the other: the CRM was unreachable (its grant refused) while
 * N calls ended, so they wait in the sync ledger; the admin reconnects it (the integration set
 * connected, then `POST /v1/integrations/:id/enable`, which queues the run a reconnection
 * queues). The clock runs from the first request the CRM receives after that to the last, once
 * every call's ledger row is synced.
 *
 * - `sync.<crm>`: calls synced / the most calls the limit lets through in that time. A sliding
 *   window of R requests per W admits R × (T / W + 1) requests in T (the first window's burst,
 *   then R / W), times the calls one request carries: HubSpot batch create 100, Salesforce
 *   collections 200, Zendesk 1 (a ticket), Dynamics ½ (a phonecall is created, then completed:
 *   its state is not valid on create). Requests that carry no call (caller lookups, the call-ref
 *   property check) spend the same budget and count against the share.
 * - `sync.<crm>.429`: requests the CRM refused for its limit / requests it received.
 *
 * Each backlog lasts about ten windows of its limit, so the share measures the sustained rate
 * (at 10,000 calls, HubSpot's backlog is 100 requests: less than its first window's burst).
 * Limits enforced (the documented ones, or the same rate on a shorter window where the
 * documented one would make the run last an hour):
 * - HubSpot: 110 requests / 10 s (public OAuth app), search apart (5/s); 110,000 calls.
 * - Salesforce: the 24 h allocation (100,000 requests) never binds a backlog of batches; the
 *   same rate on a 10 s window (12 / 10 s); 24,000 calls.
 * - Zendesk: 200 / min (Suite Team), no batch; the fake's clock ten times as fast (200 / 6 s);
 *   2,000 calls.
 * - Dynamics 365: 6000 / 300 s per user, no batch; the same 20/s as 100 / 5 s; 1,000 calls.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startDynamicsFake } from '@switchboard/connectors/testing/dynamics-fake'
import { startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import type { RateStats } from '@switchboard/connectors/testing/rate-window'
import { startSalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import type { FakeServer } from '@switchboard/connectors/testing/server'
import { startZendeskFake } from '@switchboard/connectors/testing/zendesk-fake'
import { eq } from 'drizzle-orm'
import { integrations } from '../src/db/schema/index.ts'
import { parseEnv } from '../src/env.ts'
import { BATCH_SIZE } from '../src/services/integrations/sync-job.ts'
import { killStartedProcesses, startHub } from '../test/e2e/processes.ts'
import { fakeCrmApps, testCrmTokenKeys } from '../test/helpers/integrations.ts'
import { embeddedDatabaseOf, ledgerCounts, seedSyncBacklog } from '../test/helpers/sync-load.ts'

type Crm = 'hubspot' | 'salesforce' | 'zendesk' | 'dynamics'
const CRMS: Crm[] = ['hubspot', 'salesforce', 'zendesk', 'dynamics']

const { values } = parseArgs({
  options: {
    crm: { type: 'string' },
    calls: { type: 'string' },
    'hubspot-calls': { type: 'string' },
    'salesforce-calls': { type: 'string' },
    'zendesk-calls': { type: 'string' },
    'dynamics-calls': { type: 'string' },
  },
})
const selected = (values.crm?.split(',') ?? CRMS) as Crm[]
for (const c of selected) if (!CRMS.includes(c)) throw new Error(`--crm: some of ${CRMS.join(', ')}`)

type Plan = { requests: number; windowMs: number; calls: number; how: string }
const plans: Record<Crm, Plan> = {
  hubspot: {
    requests: 110,
    windowMs: 10_000,
    calls: 110_000,
    how: '110 req / 10 s as documented; 110,000 calls',
  },
  salesforce: {
    requests: 12,
    windowMs: 10_000,
    calls: 24_000,
    how: 'the 100,000 / 24 h allocation at the same rate on a 10 s window (12 req / 10 s); 24,000 calls',
  },
  zendesk: {
    requests: 200,
    windowMs: 6_000,
    calls: 2_000,
    how: '200 req / min with the clock ×10 (200 / 6 s); 2,000 calls',
  },
  dynamics: {
    requests: 100,
    windowMs: 5_000,
    calls: 1_000,
    how: '6000 req / 300 s as 100 / 5 s (the same 20/s); 1,000 calls',
  },
}
/** Calls one request carries (see the header). */
const CARRIES: Record<Crm, number> = {
  hubspot: BATCH_SIZE.hubspot!,
  salesforce: BATCH_SIZE.salesforce!,
  zendesk: 1,
  dynamics: 0.5,
}
for (const c of CRMS) {
  const n = values[`${c}-calls`] ?? values.calls
  if (n)
    plans[c] = {
      ...plans[c],
      calls: Number(n),
      how: `${plans[c].how.replace(/; [\d,]+ calls.*$/, '')}; ${n} calls`,
    }
}

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Each API request's arrival time (OAuth apart), seen through a fault that never matches. */
function watch(fake: FakeServer, counted: (path: string) => boolean): number[] {
  const times: number[] = []
  fake.fault({
    match: (r) => {
      if (counted(r.path)) times.push(Date.now())
      return false
    },
    times: Number.POSITIVE_INFINITY,
  })
  return times
}

async function waitFor(what: string, done: () => Promise<boolean>, timeoutMs = 30 * 60_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    // The clock is the fake's: polling once a second only spares the machine the bench runs on.
    await sleep(1000)
  }
}

const window = (crm: Crm) => ({ requests: plans[crm].requests, windowMs: plans[crm].windowMs })
const hubspot = await startHubspotFake({
  rateLimit: window('hubspot'),
  searchRateLimit: { requests: 5, windowMs: 1_000 },
})
const salesforce = await startSalesforceFake({ dailyLimit: window('salesforce') })
const zendesk = await startZendeskFake({ rateLimit: window('zendesk') })
const dynamics = await startDynamicsFake({
  requestLimit: plans.dynamics.requests,
  windowMs: plans.dynamics.windowMs,
})

const fakes = {
  hubspot: {
    fake: hubspot,
    // Every request HubSpot counts, search's own budget included.
    stats: (): RateStats => ({
      requests: hubspot.rateStats.requests + hubspot.searchRateStats.requests,
      limited: hubspot.rateStats.limited + hubspot.searchRateStats.limited,
    }),
    tokens: () => hubspot.issueTokens(),
    counted: (p: string) => p.startsWith('/crm/'),
  },
  salesforce: {
    fake: salesforce,
    stats: (): RateStats => salesforce.rateStats,
    tokens: () => salesforce.issueTokens(),
    counted: (p: string) => p.startsWith('/services/data/'),
  },
  zendesk: {
    fake: zendesk,
    stats: (): RateStats => zendesk.rateStats,
    tokens: () => ({ ...zendesk.issueTokens(), instanceUrl: zendesk.url }),
    counted: (p: string) => p.startsWith('/api/v2/'),
  },
  dynamics: {
    fake: dynamics,
    stats: (): RateStats => dynamics.rateStats,
    tokens: () => ({ ...dynamics.issueTokens(), instanceUrl: dynamics.orgUrl }),
    counted: (p: string) => p.startsWith('/api/data/'),
  },
}

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-sync-'))
const env: Record<string, string> = {
  CRM_TOKEN_KEYS: testCrmTokenKeys(),
  ...fakeCrmApps,
  DYNAMICS_CLIENT_ID: 'dyn-client',
  DYNAMICS_CLIENT_SECRET: 'dyn-secret',
  HUBSPOT_API_URL: hubspot.url,
  SALESFORCE_API_URL: salesforce.url,
  SALESFORCE_LOGIN_URL: salesforce.url,
  ZENDESK_API_URL: zendesk.url,
  DYNAMICS_API_URL: dynamics.orgUrl,
  DYNAMICS_AUTH_URL: dynamics.url,
  CRM_RATE_LIMITS: CRMS.map((c) => `${c}=${plans[c].requests}/${plans[c].windowMs / 1000}s`).join(','),
}
const lines: string[] = []
try {
  say('starting an embedded hub')
  const hub = startHub(dir, 0, { direct: true, env })
  await hub.waitHealthy()
  const database = embeddedDatabaseOf(dir)
  for (const crm of selected) {
    const plan = plans[crm]
    const f = fakes[crm]
    say(`${crm}: ${plan.calls} ended calls wait for the reconnection; limit ${plan.how}`)
    const seeded = await seedSyncBacklog(database.db, parseEnv({ DATA_DIR: dir, ...env }), {
      kind: crm,
      tokens: f.tokens(),
      count: plan.calls,
      callers: 20,
      status: 'reauth',
    })
    await waitFor('the relay to queue every call', async () => {
      const counts = await ledgerCounts(database.db, seeded.integrationId)
      return (counts.pending?.n ?? 0) >= plan.calls
    })
    const times = watch(f.fake, f.counted)
    const before = { ...f.stats() }
    // The admin reconnects: the OAuth callback leaves the integration connected and queues a run.
    await database.db
      .update(integrations)
      .set({ status: 'connected' })
      .where(eq(integrations.id, seeded.integrationId))
    const enabled = await fetch(`${hub.url}/v1/integrations/${seeded.integrationId}/enable`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${seeded.apiId}:${seeded.apiToken}`).toString('base64')}`,
      },
    })
    if (!enabled.ok) throw new Error(`enable answered ${enabled.status}: ${await enabled.text()}`)
    let counts = await ledgerCounts(database.db, seeded.integrationId)
    await waitFor('the backlog to sync', async () => {
      counts = await ledgerCounts(database.db, seeded.integrationId)
      return (counts.synced?.n ?? 0) + (counts.failed?.n ?? 0) >= plan.calls
    })
    const stats = {
      requests: f.stats().requests - before.requests,
      limited: f.stats().limited - before.limited,
    }
    const synced = counts.synced?.n ?? 0
    const t = Math.max(1, (times.at(-1) ?? 0) - (times[0] ?? 0))
    const admitted = plan.requests * (t / plan.windowMs + 1)
    const share = (100 * synced) / (admitted * CARRIES[crm])
    const limitRate = (plan.requests * CARRIES[crm] * 1000) / plan.windowMs
    say(
      `${crm}: ${synced} synced (${counts.failed?.n ?? 0} failed) in ${(t / 1000).toFixed(1)} s, ` +
        `${stats.requests} requests (${stats.limited} refused); the window admits ${admitted.toFixed(0)} requests ` +
        `× ${CARRIES[crm]} calls in that time`,
    )
    lines.push(
      `sync.${crm}: ${share.toFixed(1)} % of rate limit (target >= 90 %) [${synced} calls in ${(t / 1000).toFixed(1)} s = ${((synced * 1000) / t).toFixed(1)} calls/s, ${stats.requests} requests; the limit's rate is ${limitRate.toFixed(1)} calls/s after a first window of ${plan.requests * CARRIES[crm]} calls; ${plan.how}]`,
      `sync.${crm}.429: ${((100 * stats.limited) / Math.max(1, stats.requests)).toFixed(2)} % of requests (target <= 1 %) [${stats.limited} of ${stats.requests}]`,
    )
  }
  await database.close()
} finally {
  await killStartedProcesses()
  rmSync(dir, { recursive: true, force: true })
  await Promise.all([hubspot.close(), salesforce.close(), zendesk.close(), dynamics.close()])
}
for (const line of lines) console.log(line)
