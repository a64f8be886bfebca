import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type HubspotFake, startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import { afterEach, expect, test } from 'vitest'
import { parseEnv } from '../../src/env.ts'
import { fakeCrmApps, testCrmTokenKeys } from '../helpers/integrations.ts'
import { embeddedDatabaseOf, ledgerActivityIds, ledgerCounts, seedSyncBacklog } from '../helpers/sync-load.ts'
import { killStartedProcesses, startHub } from './processes.ts'

// The CRM sync survives the hub: killed with kill -9 while 2,000 ended calls are on their way
// to HubSpot, the restarted hub finishes the job and HubSpot holds exactly one activity per call.
// The fake HubSpot lives in this process, so what it received outlives the hub. Its batch
// create answers 150 ms after saving (a vendor a little slow to answer), so the kill lands,
// often, between HubSpot saving a batch and the hub reading the answer: the restarted hub must
// then find those activities by their call ref instead of creating them again.

const dirs: string[] = []
const fakes: HubspotFake[] = []
afterEach(async () => {
  await killStartedProcesses()
  for (const fake of fakes.splice(0)) await fake.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const CALLS = 2_000

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

test('kill -9 while 2,000 calls sync to HubSpot: after the restart HubSpot holds exactly 2,000 activities', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-sync-'))
  dirs.push(dir)
  const hubspot = await startHubspotFake()
  fakes.push(hubspot)
  hubspot.fault({
    match: (r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls/batch/create',
    times: Number.POSITIVE_INFINITY,
    delayMs: 150,
  })
  const env = {
    CRM_TOKEN_KEYS: testCrmTokenKeys(),
    HUBSPOT_API_URL: hubspot.url,
    ...fakeCrmApps,
    // The sync paces itself to HubSpot's 110 requests / 10 s; this test is about the crash, so
    // the budget is raised (the pacing has a benchmark: npm run bench -- sync).
    CRM_RATE_LIMITS: 'hubspot=2000/1s',
  }

  const first = startHub(dir, 0, { direct: true, env })
  await first.waitHealthy()
  // The backlog is written next to the running hub, through its database, in one transaction.
  const database = embeddedDatabaseOf(dir)
  const seeded = await seedSyncBacklog(database.db, parseEnv({ DATA_DIR: dir, ...env }), {
    kind: 'hubspot',
    tokens: hubspot.issueTokens(),
    count: CALLS,
  })
  await database.close()
  expect(seeded.callIds).toHaveLength(CALLS)

  // Killed once HubSpot has a third of the calls.
  await until('a third of the calls in HubSpot', () => hubspot.calls.size >= CALLS / 3, 60_000, 10)
  expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL')
  const atCrash = hubspot.calls.size
  expect(atCrash).toBeLessThan(CALLS)

  const second = startHub(dir, 0, { direct: true, env })
  await second.waitHealthy()
  const after = embeddedDatabaseOf(dir)
  try {
    await until(
      'every call synced',
      async () => (await ledgerCounts(after.db, seeded.integrationId)).synced?.n === CALLS,
      60_000,
      250,
    )
    const ledger = await ledgerCounts(after.db, seeded.integrationId)
    expect(ledger).toEqual({ synced: { n: CALLS, activities: CALLS } })
    // Each call's ledger points at the activity HubSpot holds for it.
    expect(new Set(await ledgerActivityIds(after.db, seeded.integrationId))).toEqual(
      new Set(hubspot.calls.keys()),
    )
  } finally {
    await after.close()
  }

  const activities = [...hubspot.calls.values()]
  expect(activities).toHaveLength(CALLS)
  const refs = new Set(activities.map((a) => a.properties.switchboard_call_ref))
  expect(refs).toEqual(new Set(seeded.callIds.map((id) => `sb-call-${id}`)))
  // The restarted hub did not start over: it wrote only what was missing.
  const creates = hubspot.requests.filter((r) => r.path.startsWith('/crm/v3/objects/calls/batch/create'))
  const created = creates.reduce(
    (n, r) => n + (JSON.parse(r.rawBody) as { inputs: unknown[] }).inputs.length,
    0,
  )
  expect(created).toBeLessThan(CALLS + atCrash)
}, 180_000)
