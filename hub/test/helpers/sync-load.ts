import { readFileSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { systemClock } from '../../src/core/clock.ts'
import type { Database } from '../../src/db/client.ts'
import { clusterDirOf, passwordFileOf } from '../../src/db/embedded-postgres.ts'
import type { IntegrationKind } from '../../src/db/schema/index.ts'
import * as schema from '../../src/db/schema/index.ts'
import type { Env } from '../../src/env.ts'
import { createCompanyWithAdmin } from '../../src/services/company/create-company.ts'
import { FINALIZED } from '../../src/telephony/engine/call-finalize.ts'
import { connectTestIntegration } from './integrations.ts'
import { createTestNumber } from './numbers-factory.ts'

/**
 * A sync backlog made fast: a company, a number linked to a connected CRM integration, and
 * `count` answered calls that ended and were finalized, each with the `call.ended` outbox event
 * the relay hands to the CRM sync — what `count` real calls leave in the database, written in a
 * few statements instead of `count` simulated calls. The callers are `callers` distinct numbers
 * (lookups are cached per number, as they would be for a team's regular callers).
 */
export async function seedSyncBacklog(
  db: Database,
  env: Env,
  input: {
    kind: Exclude<IntegrationKind, 'weather'>
    tokens: { accessToken: string; refreshToken: string; instanceUrl?: string }
    count: number
    callers?: number
    settings?: Record<string, unknown>
    /** 'reauth': the calls pile up in the ledger until the integration is reconnected. */
    status?: 'connected' | 'reauth'
  },
) {
  const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const company = await createCompanyWithAdmin(db, systemClock, {
    company: `Sync load ${tag}`,
    email: `admin-${tag}@sync.test`,
    password: 'a long password',
    firstName: 'Ada',
    lastName: 'Admin',
  })
  const number = await createTestNumber(db, { companyId: company.company_id, country: 'GB', area: '20' })
  const integration = await connectTestIntegration(db, env, {
    companyId: company.company_id,
    kind: input.kind,
    tokens: input.tokens,
    numberIds: [number.id],
    settings: input.settings,
    status: input.status,
  })
  const callers = input.callers ?? 50
  // Calls of the last hours, 3 s apart, each answered after 5 s and 60 s long.
  const start = new Date(Date.now() - input.count * 3_000 - 3600_000)
  const result = await db.execute(sql`
    with c as (
      insert into calls (company_id, number_id, direction, status, external_number, raw_digits,
                         started_at, answered_at, ended_at, user_id, state, version)
      select ${company.company_id}::int, ${number.id}::int, 'inbound', 'done',
             '+3361200' || lpad((g % ${callers})::text, 4, '0'),
             '+3361200' || lpad((g % ${callers})::text, 4, '0'),
             ${start.toISOString()}::timestamptz + g * interval '3 seconds',
             ${start.toISOString()}::timestamptz + g * interval '3 seconds' + interval '5 seconds',
             ${start.toISOString()}::timestamptz + g * interval '3 seconds' + interval '65 seconds',
             ${company.user_id}::int, '{}'::jsonb, 4
      from generate_series(1, ${input.count}::int) g
      returning id, company_id, ended_at
    ), timeline as (
      insert into call_events (call_id, seq, company_id, at, type, data)
      select id, 1, company_id, ended_at, ${FINALIZED}, '{}'::jsonb from c
    ), events as (
      insert into outbox (company_id, event, resource, data, occurred_at)
      select company_id, 'call.ended', 'call', jsonb_build_object('id', id), ended_at from c
    )
    select id from c order by id`)
  // Thousands of rows in one statement, which no real day does: fresh statistics, as the
  // autovacuum daemon keeps them for tables that fill call by call, so the relay's plans fit.
  await db.execute(sql`analyze calls, call_events, outbox`)
  const rows = ((result as { rows?: { id: unknown }[] }).rows ??
    (result as unknown as { id: unknown }[])) as {
    id: unknown
  }[]
  return {
    companyId: company.company_id,
    apiId: company.api_id,
    apiToken: company.api_token,
    numberId: number.id,
    integrationId: integration.id,
    callIds: rows.map((r) => Number(r.id)),
  }
}

/**
 * A connection to the embedded PostgreSQL server a running hub started on DATA_DIR, the way an
 * operator would open psql on it: its unix socket in the cluster directory and the generated
 * password. The hub keeps running; the test reads (or seeds) alongside it.
 */
export function embeddedDatabaseOf(dataDir: string): { db: Database; close(): Promise<void> } {
  const client = postgres({
    host: clusterDirOf(dataDir),
    port: 5432,
    user: 'switchboard',
    password: readFileSync(passwordFileOf(dataDir), 'utf8').trim(),
    database: 'postgres',
    max: 2,
    onnotice: () => {},
  })
  // postgres-js's drizzle is a PgDatabase; the services (and these tests) need no more.
  const db = drizzle({ client, schema }) as unknown as Database
  return { db, close: () => client.end({ timeout: 5 }) }
}

/** The ledger of an integration, counted by state, with its distinct activity ids. */
export async function ledgerCounts(db: Database, integrationId: number) {
  const result = await db.execute(sql`
    select state, count(*)::int as n, count(distinct activity_id)::int as activities
    from call_syncs where integration_id = ${integrationId} group by state`)
  const rows = ((result as { rows?: unknown[] }).rows ?? (result as unknown as unknown[])) as {
    state: string
    n: number
    activities: number
  }[]
  return Object.fromEntries(rows.map((r) => [r.state, { n: Number(r.n), activities: Number(r.activities) }]))
}

/** The activity ids the ledger holds for an integration's calls. */
export async function ledgerActivityIds(db: Database, integrationId: number): Promise<string[]> {
  const result = await db.execute(
    sql`select activity_id from call_syncs where integration_id = ${integrationId} and activity_id is not null`,
  )
  const rows = ((result as { rows?: unknown[] }).rows ?? (result as unknown as unknown[])) as {
    activity_id: string
  }[]
  return rows.map((r) => r.activity_id)
}
