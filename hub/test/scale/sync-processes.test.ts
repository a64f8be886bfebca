import { type HubspotFake, startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/client.ts'
import * as schema from '../../src/db/schema/index.ts'
import { parseEnv } from '../../src/env.ts'
import { basicAuth } from '../e2e/processes.ts'
import { fakeCrmApps, testCrmTokenKeys } from '../helpers/integrations.ts'
import { ledgerActivityIds, ledgerCounts, seedSyncBacklog } from '../helpers/sync-load.ts'
import { json, processDeployment } from './process-deployment.ts'

// The CRM sync across processes: a HUB_ROLE=web hub and a HUB_ROLE=worker hub on one
// PostgreSQL and one Redis (BullMQ). The worker is killed with -9 while 2,000 ended calls are
// on their way to HubSpot; a new worker finishes the job and HubSpot holds exactly one activity
// per call. The rows the dead worker had claimed are taken again once their lease (60 s) runs
// out: at scale another worker may still be writing them, so nothing shortens it. Scale run only.

const CALLS = 2_000
// Started with the file: the hubs' environment names its URL.
const hubspot: HubspotFake = await startHubspotFake()
// The batch create answers 150 ms after saving: the kill often lands between the two.
hubspot.fault({
  match: (r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls/batch/create',
  times: Number.POSITIVE_INFINITY,
  delayMs: 150,
})
afterAll(() => hubspot.close())

const crmEnv = {
  HUBSPOT_API_URL: hubspot.url,
  CRM_TOKEN_KEYS: testCrmTokenKeys(),
  ...fakeCrmApps,
  // This test is about the crash; the pacing to HubSpot's limit has its benchmark.
  CRM_RATE_LIMITS: 'hubspot=2000/1s',
}
const { env, dataDir, hubOfRole } = processDeployment({ prefix: 'sb_sync', redisDb: 11, env: crmEnv })

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

describe('CRM sync across web and worker processes (PostgreSQL + Redis)', { timeout: 240_000 }, () => {
  it('kill -9 of the worker while 2,000 calls sync: after a new worker, HubSpot holds exactly 2,000 activities', async () => {
    // The web hub migrates the database as it starts; the backlog is written before the worker starts.
    const web = await hubOfRole('web')
    const client = postgres(env.DATABASE_URL, { max: 2, onnotice: () => {} })
    const db = drizzle({ client, schema }) as unknown as Database
    try {
      const seeded = await seedSyncBacklog(db, parseEnv({ ...env, DATA_DIR: dataDir() }), {
        kind: 'hubspot',
        tokens: hubspot.issueTokens(),
        count: CALLS,
      })
      const worker = await hubOfRole('worker')

      await until('a third of the calls in HubSpot', () => hubspot.calls.size >= CALLS / 3, 90_000, 10)
      expect((await worker.stop('SIGKILL')).signal).toBe('SIGKILL')
      expect(hubspot.calls.size).toBeLessThan(CALLS)

      await hubOfRole('worker')
      await until(
        'every call synced',
        async () => (await ledgerCounts(db, seeded.integrationId)).synced?.n === CALLS,
        150_000,
        500,
      )
      expect(await ledgerCounts(db, seeded.integrationId)).toEqual({
        synced: { n: CALLS, activities: CALLS },
      })
      const activities = [...hubspot.calls.values()]
      expect(activities).toHaveLength(CALLS)
      expect(new Set(activities.map((a) => a.properties.switchboard_call_ref))).toEqual(
        new Set(seeded.callIds.map((id) => `sb-call-${id}`)),
      )
      expect(new Set(await ledgerActivityIds(db, seeded.integrationId))).toEqual(
        new Set(hubspot.calls.keys()),
      )

      // The web process shows a call's sync as its ledger has it.
      const last = seeded.callIds.at(-1)!
      const call = await json(web, 'GET', `/v1/calls/${last}`, basicAuth(seeded.apiId, seeded.apiToken))
      expect(call.status, JSON.stringify(call.body)).toBe(200)
      const activity = activities.find((a) => a.properties.switchboard_call_ref === `sb-call-${last}`)!
      expect(call.body.call.sync).toEqual([
        expect.objectContaining({
          integration_id: seeded.integrationId,
          state: 'synced',
          external_id: activity.id,
        }),
      ])
    } finally {
      await client.end({ timeout: 5 })
    }
  })
})
