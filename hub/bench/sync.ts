/**
 * `npm run bench -- sync [--crm hubspot,salesforce,zendesk,dynamics] [--calls N]
 *   [--hubspot-calls N] [--salesforce-calls N] [--zendesk-calls N] [--dynamics-calls N]`:
 * ended calls synced by an embedded hub (`node --import tsx hub/src/main.ts`, its own DATA_DIR)
 * to each CRM's fake, in this process, enforcing the vendor's request limit. The hub is told the
 * same limit (CRM_RATE_LIMITS), as an operator would tell it their plan's.
 *
 * Per CRM, one after the other: a company whose number is linked to a connected integration
 * gets N ended calls at once (written through the hub's database with their call.ended events,
 * as N real calls leave them); the clock runs from the first request the CRM counts to the last,
 * once every call's ledger row is synced.
 * - `sync.<crm>`: calls synced / the most calls the limit lets through in that time, which is
 *   the requests a sliding window of R per W admits in T (R × (⌊T/W⌋ + 1)) times the calls one
 *   request carries (HubSpot batch create: 100, Salesforce collections: 200, else 1). Lookups of
 *   the callers' records spend budget too and carry no call: they count against the share.
 *   In brackets, the same against the limit's average rate R / W (no credit for the burst).
 * - `sync.<crm>.429`: requests the CRM refused for its limit / requests it counted.
 *
 * Limits enforced (the documented ones, or with the window scaled, same rate, when the
 * documented window would make the run last an hour or says nothing in minutes):
 * - HubSpot: 110 requests / 10 s (public OAuth app), search apart (5/s); 10,000 calls.
 * - Salesforce: the 24 h allocation (100,000) is not binding for 50 requests; measured with
 *   the same rate on a 10 s window (12 / 10 s), 10,000 calls.
 * - Zendesk: 200 / min (Suite Team), no batch: 10,000 calls take 50 min, so 1,000 calls with
 *   the window at a tenth (200 / 6 s: the fake's clock ten times as fast as the vendor's).
 * - Dynamics 365: 6000 / 300 s per user, no batch: 1,000 calls with the window at a tenth of
 *   the size and of the count (600 / 30 s: the same rate, 20/s).
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
  hubspot: { requests: 110, windowMs: 10_000, calls: 10_000, how: '110 req / 10 s as documented' },
  salesforce: {
    requests: 12,
    windowMs: 10_000,
    calls: 10_000,
    how: 'the 100,000 / 24 h allocation at the same rate on a 10 s window (12 req / 10 s)',
  },
  zendesk: {
    requests: 200,
    windowMs: 6_000,
    calls: 1_000,
    how: '200 req / min with the clock ×10 (200 / 6 s); 1,000 calls (10,000 would take 50 min)',
  },
  dynamics: {
    requests: 600,
    windowMs: 30_000,
    calls: 1_000,
    how: '6000 req / 300 s as 600 / 30 s (same rate, 20/s); 1,000 calls',
  },
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

/** Each counted request's arrival time, seen through a fault that never matches. */
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
    counted: (p: string) => p.startsWith('/crm/') && !p.endsWith('/search'),
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
    const times = watch(f.fake, f.counted)
    const before = { ...f.stats() }
    say(`${crm}: ${plan.calls} ended calls; limit ${plan.how}`)
    const seeded = await seedSyncBacklog(database.db, parseEnv({ DATA_DIR: dir, ...env }), {
      kind: crm,
      tokens: f.tokens(),
      count: plan.calls,
      callers: 20,
    })
    const deadline = Date.now() + 30 * 60_000
    let counts = await ledgerCounts(database.db, seeded.integrationId)
    while ((counts.synced?.n ?? 0) + (counts.failed?.n ?? 0) < plan.calls && Date.now() < deadline) {
      await sleep(250)
      counts = await ledgerCounts(database.db, seeded.integrationId)
    }
    const stats = {
      requests: f.stats().requests - before.requests,
      limited: f.stats().limited - before.limited,
    }
    const synced = counts.synced?.n ?? 0
    const first = times[0] ?? Date.now()
    const last = times.at(-1) ?? first
    const t = Math.max(1, last - first)
    const perRequest = BATCH_SIZE[crm] ?? 1
    const admitted = plan.requests * (Math.floor(t / plan.windowMs) + 1)
    const share = (100 * synced) / (admitted * perRequest)
    // The same against the limit's average rate (R / W), ignoring the burst a window allows.
    const steady = (100 * synced * plan.windowMs) / (t * plan.requests * perRequest)
    say(
      `${crm}: ${synced} synced (${counts.failed?.n ?? 0} failed) in ${(t / 1000).toFixed(1)} s, ` +
        `${stats.requests} requests (${stats.limited} refused); the window admits ${admitted} requests ` +
        `× ${perRequest} calls in that time`,
    )
    lines.push(
      `sync.${crm}: ${share.toFixed(1)} % of rate limit (target >= 90 %) [${synced} calls in ${(t / 1000).toFixed(1)} s = ${((synced * 1000) / t).toFixed(1)} calls/s, ${steady.toFixed(1)} % of the limit's steady rate of ${((plan.requests * perRequest * 1000) / plan.windowMs).toFixed(1)} calls/s; ${plan.how}]`,
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
