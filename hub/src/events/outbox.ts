import { sql } from 'drizzle-orm'
import type { Clock } from '../core/clock.ts'
import { afterCommit } from '../db/after-commit.ts'
import type { Queryable } from '../db/client.ts'
import { compiledByShape } from '../db/compiled.ts'
import { outbox } from '../db/schema/index.ts'
import { signalOutboxCommitted } from './outbox-signal.ts'

/** Every event name the hub emits (Aircall's names). Webhook subscriptions are validated against it. */
export const eventNames = [
  'user.created',
  'user.deleted',
  // The realtime channel (hub/src/realtime/): a first client connected / the last one gone for
  // longer than the grace period; the user became routable (online and available) or not.
  'user.connected',
  'user.disconnected',
  'user.opened',
  'user.closed',
  // The call engine: an agent's wrap-up time (after-call work) starts as their call ends / is over.
  'user.wut_start',
  'user.wut_end',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'team.created',
  'team.deleted',
  'number.verification_approved',
  'number.verification_rejected',
  'number.created',
  'number.deleted',
  'number.opened',
  'number.closed',
  'call.created',
  'call.ringing_on_agent',
  'call.agent_declined',
  'call.answered',
  // A connected call handed to another user or team / to an outside number, or not taken.
  'call.transferred',
  'call.external_transferred',
  'call.unsuccessful_transfer',
  'call.hungup',
  'call.ended',
  'call.voicemail_left',
  'call.ivr_option_selected',
  'call.comm_assets_generated',
  'call.tagged',
  'call.untagged',
  'call.commented',
  'call.archived',
  'call.assigned',
] as const
export type EventName = (typeof eventNames)[number]

/**
 * Records a domain event in the outbox. Call it inside the transaction that makes the change:
 * the event then exists exactly when the change does, and the relay delivers it even if the
 * process dies right after the commit.
 */
export async function recordEvent(
  tx: Queryable,
  clock: Clock,
  companyId: number,
  event: EventName,
  data: Record<string, unknown>,
): Promise<void> {
  await recordEvents(tx, clock, companyId, [{ event, data }])
}

/** Several events of one change in one statement (a call's hang-up: hung up, ended, the agent's wrap-up). */
export async function recordEvents(
  tx: Queryable,
  clock: Clock,
  companyId: number,
  list: readonly { event: EventName; data: Record<string, unknown> }[],
): Promise<void> {
  if (list.length === 0) return
  const occurredAt = clock.now()
  const rows = list.map(({ event, data }) => ({ event, resource: event.split('.')[0]!, data }))
  if (rows.length <= COMPILED_ROWS) {
    const values: Record<string, unknown> = { companyId, occurredAt }
    rows.forEach((row, i) => {
      values[`event${i}`] = row.event
      values[`resource${i}`] = row.resource
      values[`data${i}`] = row.data
    })
    await insertEvents(tx, rows.length, values)
  } else {
    await tx.insert(outbox).values(rows.map((row) => ({ ...row, companyId, occurredAt })))
  }
  afterCommit(signalOutboxCommitted)
}

/** Up to this many events at once, the insert is a statement built once per count (db/compiled.ts). */
const COMPILED_ROWS = 8

const insertEvents = compiledByShape(
  (count: number) => String(count),
  (db: Queryable, count: number) =>
    db.insert(outbox).values(
      Array.from({ length: count }, (_, i) => ({
        companyId: sql.placeholder('companyId'),
        occurredAt: sql.placeholder('occurredAt'),
        event: sql.placeholder(`event${i}`),
        resource: sql.placeholder(`resource${i}`),
        data: sql.placeholder(`data${i}`),
      })),
    ),
)
