import type { DestinationSetting, NumberSettings } from '@switchboard/shared'
import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'

/**
 * What happens to numbers when a user, team or number they route to goes away.
 *
 * Decision: deleting is never refused; the references are cleaned up in the same transaction
 * (as Aircall removes a deleted user from its numbers' call distribution):
 * - distribution steps and outbound-only entries naming it are removed;
 * - IVR options transferring to it are removed (an IVR left without options reports
 *   `ivr_status: "empty"`, the dashboard's red banner);
 * - an IVR fallback pointing to it becomes voicemail; an exceptional period's destination
 *   becomes null (the closed path).
 * numbersRoutingTo() lists the numbers concerned, for a confirmation dialog before deleting.
 */

/** Namespace of the advisory lock below (any constant unique within this app). */
const ROUTING_LOCK_NAMESPACE = 0x5b0a

/**
 * Serialises, per company, the transactions that change what numbers route to or what they
 * may reference: settings writes, and deleting a user, team or number. Without it, a settings
 * write that validated a user id could commit after that user's deletion had cleaned up the
 * numbers, leaving a step that names a deleted user. Take it FIRST in the transaction (before
 * any row lock) so that every such transaction locks in the same order: no deadlocks.
 * Released at commit or rollback.
 */
export async function lockRoutingGraph(tx: Queryable, companyId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${ROUTING_LOCK_NAMESPACE}, ${companyId})`)
}

export type RoutingTarget = { userId: number } | { teamId: number } | { numberId: number }

function pointsTo(d: DestinationSetting, target: RoutingTarget): boolean {
  if ('userId' in target) return d.type === 'user' && d.user_id === target.userId
  if ('teamId' in target) return d.type === 'team' && d.team_id === target.teamId
  return d.type === 'number' && d.number_id === target.numberId
}

/** Fields of the document that name the target (empty = not concerned). */
export function referencesIn(settings: NumberSettings, target: RoutingTarget): string[] {
  const fields: string[] = []
  settings.distribution.steps.forEach((step, i) => {
    if (
      ('userId' in target && step.type === 'user' && step.user_id === target.userId) ||
      ('teamId' in target && step.type === 'team' && step.team_id === target.teamId)
    ) {
      fields.push(`distribution.steps.${i}`)
    }
  })
  if ('userId' in target) {
    settings.outbound_only.user_ids.forEach((id, i) => {
      if (id === target.userId) fields.push(`outbound_only.user_ids.${i}`)
    })
  }
  if ('teamId' in target) {
    settings.outbound_only.team_ids.forEach((id, i) => {
      if (id === target.teamId) fields.push(`outbound_only.team_ids.${i}`)
    })
  }
  settings.ivr.options.forEach((o, i) => {
    if (pointsTo(o.destination, target)) fields.push(`ivr.options.${i}`)
  })
  if (pointsTo(settings.ivr.fallback, target)) fields.push('ivr.fallback')
  settings.business_hours.exceptions.forEach((ex, i) => {
    if (ex.destination && pointsTo(ex.destination, target))
      fields.push(`business_hours.exceptions.${i}.destination`)
  })
  return fields
}

/** The document without any reference to the target (see the rules above). */
export function withoutReferences(settings: NumberSettings, target: RoutingTarget): NumberSettings {
  const s = structuredClone(settings)
  s.distribution.steps = s.distribution.steps.filter(
    (step) =>
      !(
        ('userId' in target && step.type === 'user' && step.user_id === target.userId) ||
        ('teamId' in target && step.type === 'team' && step.team_id === target.teamId)
      ),
  )
  if ('userId' in target)
    s.outbound_only.user_ids = s.outbound_only.user_ids.filter((id) => id !== target.userId)
  if ('teamId' in target)
    s.outbound_only.team_ids = s.outbound_only.team_ids.filter((id) => id !== target.teamId)
  s.ivr.options = s.ivr.options.filter((o) => !pointsTo(o.destination, target))
  if (pointsTo(s.ivr.fallback, target)) s.ivr.fallback = { type: 'voicemail' }
  for (const ex of s.business_hours.exceptions) {
    if (ex.destination && pointsTo(ex.destination, target)) ex.destination = null
  }
  return s
}

export type NumberReference = { id: number; name: string; fields: string[] }

/** Live numbers of the company whose routing names the target, with the fields that do. */
export async function numbersRoutingTo(
  ctx: { db: Queryable; companyId: number },
  target: RoutingTarget,
): Promise<NumberReference[]> {
  const rows = await ctx.db
    .select({ id: numbers.id, name: numbers.name, settings: numbers.settings })
    .from(numbers)
    .where(and(eq(numbers.companyId, ctx.companyId), isNull(numbers.releasedAt)))
    .orderBy(numbers.id)
  return rows.flatMap((r) => {
    const fields = referencesIn(r.settings, target)
    return fields.length > 0 ? [{ id: r.id, name: r.name, fields }] : []
  })
}

/**
 * Removes every reference to the target from the company's numbers. Call it inside the
 * transaction that deletes the user / team / number, so no number ever routes to a row that
 * no longer exists. Returns the numbers that changed.
 */
export async function detachFromNumbers(
  tx: Queryable,
  ctx: { companyId: number; clock: Clock },
  target: RoutingTarget,
): Promise<NumberReference[]> {
  const concerned = await numbersRoutingTo({ db: tx, companyId: ctx.companyId }, target)
  for (const ref of concerned) {
    const [row] = await tx
      .select({ settings: numbers.settings })
      .from(numbers)
      .where(and(eq(numbers.id, ref.id), eq(numbers.companyId, ctx.companyId)))
      .for('update')
    if (!row) continue
    await tx
      .update(numbers)
      .set({ settings: withoutReferences(row.settings, target), updatedAt: ctx.clock.now() })
      .where(and(eq(numbers.id, ref.id), eq(numbers.companyId, ctx.companyId)))
  }
  return concerned
}
