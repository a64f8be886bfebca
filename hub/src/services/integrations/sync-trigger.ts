import { sql } from 'drizzle-orm'
import { type Queryable, rowsOf } from '../../db/client.ts'
import type { OutboxConsumer } from '../../events/relay.ts'
import { syncJobs } from './sync-job.ts'

/** The call events after which a linked CRM's activity may need writing or updating. */
export const SYNC_EVENTS: ReadonlySet<string> = new Set([
  'call.created',
  'call.answered',
  'call.transferred',
  'call.external_transferred',
  'call.hungup',
  'call.ended',
  'call.voicemail_left',
  'call.comm_assets_generated',
  'call.tagged',
  'call.untagged',
  'call.commented',
  'call.assigned',
])

type Linked = {
  call_id: number
  company_id: number
  version: number
  integration_id: number
  active: boolean
}

/**
 * The relay's consumer for the CRM sync. For the call events of a batch, one query finds the
 * calls and the connected CRM integrations linked to their numbers; each (call, integration)
 * gets its ledger row (created pending, its wanted version raised to the call's), and each
 * integration with work one `crm-sync` job keyed by the batch's last event: triggers within a
 * batch collapse into one run, and a trigger during a run queues a later one. Integrations
 * switched off get a `skipped` row and no job (calls are not back-filled when they come back).
 * Idempotent: a batch handed over again raises nothing and queues the same keyed jobs.
 */
export const crmSyncConsumer: OutboxConsumer = async (tx, deps, events) => {
  const ids = events.filter((e) => SYNC_EVENTS.has(e.event)).map((e) => e.id)
  if (ids.length === 0) return []
  const linked = await linkedCalls(tx, ids)
  if (linked.length === 0) return []
  const now = deps.clock.now().toISOString()
  const rows = linked.map(
    (l) =>
      sql`(${l.call_id}::bigint, ${l.integration_id}::int, ${l.company_id}::int, ${l.active ? 'pending' : 'skipped'}, ${l.active ? null : 'inactive'}, ${l.version}::int, ${now}::timestamptz, ${now}::timestamptz)`,
  )
  const touched: { integration_id: number }[] = []
  for (let i = 0; i < rows.length; i += 1000) {
    // A row already synced goes back to pending when the call moved past what the CRM shows;
    // skipped and failed rows stay as they are (a replay re-queues failed ones).
    const result = await tx.execute(sql`
      insert into call_syncs (call_id, integration_id, company_id, state, skip_reason, wanted_version, created_at, updated_at)
      values ${sql.join(rows.slice(i, i + 1000), sql`, `)}
      on conflict (call_id, integration_id) do update set
        wanted_version = greatest(call_syncs.wanted_version, excluded.wanted_version),
        state = case
          when call_syncs.state = 'synced' and excluded.wanted_version > call_syncs.synced_version then 'pending'
          else call_syncs.state end,
        updated_at = excluded.updated_at
      returning integration_id, state, wanted_version, synced_version`)
    for (const r of rowsOf<{
      integration_id: number
      state: string
      wanted_version: number
      synced_version: number
    }>(result))
      if (r.state === 'pending' && r.wanted_version > r.synced_version) touched.push(r)
  }
  const integrationIds = [...new Set(touched.map((t) => Number(t.integration_id)))]
  const last = Math.max(...events.map((e) => e.id))
  return syncJobs(integrationIds.map((integrationId) => ({ integrationId, key: `outbox:${last}` })))
}

/** The calls of these outbox events and the CRM integrations linked to their numbers. */
async function linkedCalls(tx: Queryable, outboxIds: number[]): Promise<Linked[]> {
  const result = await tx.execute(sql`
    select distinct c.id as call_id, c.company_id, c.version, i.id as integration_id, i.active
    from outbox o
    join calls c on c.id = (o.data->>'id')::bigint and c.company_id = o.company_id
    join integration_numbers n on n.number_id = c.number_id and n.company_id = c.company_id
    join integrations i on i.id = n.integration_id and i.company_id = c.company_id
    where o.id in (${sql.join(
      outboxIds.map((id) => sql`${id}`),
      sql`, `,
    )})
      and o.resource = 'call'
      and i.kind <> 'weather'
      and i.status <> 'pending'`)
  return rowsOf<Linked>(result).map((r) => ({
    call_id: Number(r.call_id),
    company_id: Number(r.company_id),
    version: Number(r.version),
    integration_id: Number(r.integration_id),
    active: r.active === true || (r.active as unknown) === 't',
  }))
}
