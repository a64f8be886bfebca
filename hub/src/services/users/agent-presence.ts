import type { DeclaredStatusName } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { DomainError } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { users } from '../../db/schema/index.ts'
import { type EventName, recordEvent } from '../../events/outbox.ts'
import { numbersOfUsers } from '../numbers/user-numbers.ts'
import { effectivePresence, isAvailableNow } from './availability.ts'
import { toUserJson, type UserRow } from './user-json.ts'
import { findUser } from './user-lookup.ts'

/**
 * An agent's presence as the realtime channel keeps it, stored in the user row so the API
 * (`GET /v1/users/:id/availability`, the User object) and the channel agree:
 * - `presence` (the live availability) is `offline` while the user has no client connected
 *   (past the grace period), `available` or `do_not_disturb` while they have one; the call
 *   engine's in_call / after_call_work are left alone here.
 * - External forwarding is a device: a user with a forwarding number is online with no client
 *   (effectivePresence, availability.ts). The column stays the apps' own record; who is
 *   online is that or forwarding, so turning forwarding on or off, or a client coming or
 *   going while it is on, is one transition with one event, whichever happens first.
 * - The declared status maps onto the admin setting: available → `available`, auto →
 *   `custom` (working hours), unavailable → `unavailable` with the reason in `substatus`;
 *   do_not_disturb is the `do_not_disturb` column on top of the admin setting, kept while the
 *   agent is offline and across restarts: they come back in DND (`presence = do_not_disturb`
 *   while online), and the router never rings them meanwhile.
 *
 * Events (in the changing transaction, with the Aircall User object as data):
 * user.connected / user.disconnected when the user comes online / goes offline, and
 * user.opened / user.closed when they become open to calls or stop being: online, not DND,
 * and available now by their setting (Auto: inside their working hours). Calls (ringing,
 * in call) do not open or close a user: that is the engine's live state.
 */
export type PresenceDeps = { db: Database; clock: Clock; links: Links }

/** Online as the product shows it: a client connected (or in its grace period), or forwarding on. */
const isOnlineRow = (u: UserRow) => effectivePresence(u) !== 'offline'

/** Open to calls apart from calls: online, not do-not-disturb, available now by the admin setting. */
export function isOpen(u: UserRow, now: Date): boolean {
  return isOnlineRow(u) && !u.doNotDisturb && isAvailableNow(u, now)
}

export function declaredStatusOf(u: Pick<UserRow, 'doNotDisturb' | 'availabilityStatus' | 'substatus'>): {
  declared: DeclaredStatusName
  reason: string | null
} {
  if (u.doNotDisturb) return { declared: 'do_not_disturb', reason: null }
  switch (u.availabilityStatus) {
    case 'available':
      return { declared: 'available', reason: null }
    case 'custom':
      return { declared: 'auto', reason: null }
    case 'unavailable':
      return { declared: 'unavailable', reason: u.substatus }
  }
}

export async function recordUserEvents(
  tx: Queryable,
  deps: Pick<PresenceDeps, 'clock' | 'links'>,
  row: UserRow,
  events: readonly EventName[],
): Promise<void> {
  if (events.length === 0) return
  const now = deps.clock.now()
  const numbers = await numbersOfUsers(tx, row.companyId, deps.links, now, [row.id])
  const json = toUserJson(row, deps.links, now, numbers.get(row.id), numbers.lines.get(row.id))
  for (const event of events) await recordEvent(tx, deps.clock, row.companyId, event, json)
}

/** The opened / closed event a change from `before` to `after` makes, if any. */
export function openingEvents(before: UserRow, after: UserRow, now: Date): EventName[] {
  const was = isOpen(before, now)
  const is = isOpen(after, now)
  if (was === is) return []
  return [is ? 'user.opened' : 'user.closed']
}

/**
 * Every presence event a change from `before` to `after` makes, in order: user.connected /
 * user.disconnected when it brings the user online or offline (a client, or external
 * forwarding turned on or off), then user.opened / user.closed.
 */
export function presenceEvents(before: UserRow, after: UserRow, now: Date): EventName[] {
  const was = isOnlineRow(before)
  const is = isOnlineRow(after)
  const connection: EventName[] = was === is ? [] : [is ? 'user.connected' : 'user.disconnected']
  return [...connection, ...openingEvents(before, after, now)]
}

async function changePresence(
  deps: PresenceDeps,
  companyId: number,
  userId: number,
  change: (u: UserRow) => Partial<Pick<UserRow, 'presence' | 'availabilityStatus' | 'substatus'>> | null,
): Promise<{ before: UserRow; after: UserRow } | null> {
  return deps.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(users)
      .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
      .for('update')
    // A user deleted while connected: nothing to record (user.deleted said it).
    if (!before) return null
    const set = change(before)
    if (!set) return { before, after: before }
    const now = deps.clock.now()
    const [after] = await tx
      .update(users)
      .set({ ...set, updatedAt: now })
      .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
      .returning()
    await recordUserEvents(tx, deps, after!, presenceEvents(before, after!, now))
    return { before, after: after! }
  })
}

/**
 * The user's first client connected (the channel saw them offline): online, user.connected;
 * in DND if they left in DND. Already online by their external forwarding: the column records
 * the client, no event.
 */
export async function markConnected(deps: PresenceDeps, companyId: number, userId: number) {
  return changePresence(deps, companyId, userId, (u) =>
    u.presence !== 'offline' ? null : { presence: u.doNotDisturb ? 'do_not_disturb' : 'available' },
  )
}

/**
 * The user has had no client for the grace period: offline, user.disconnected. With external
 * forwarding on they stay online: the column records that no client is left, no event.
 */
export async function markDisconnected(deps: PresenceDeps, companyId: number, userId: number) {
  return changePresence(deps, companyId, userId, (u) =>
    // in_call / after_call_work belong to the engine, which ends them with the call.
    u.presence === 'available' || u.presence === 'do_not_disturb' ? { presence: 'offline' } : null,
  )
}

/**
 * The agent declares their status from a client (`set_status`). The same columns as the
 * API's `availability_status` / `substatus` (PUT /v1/users/:id) and `PUT /v1/me/availability`
 * (do_not_disturb). Refused (not_allowed) during a call, as PUT /v1/me/availability is.
 */
export async function setDeclaredStatus(
  deps: PresenceDeps,
  companyId: number,
  userId: number,
  status: DeclaredStatusName,
  reason: string | undefined,
): Promise<UserRow> {
  const result = await deps.db.transaction(async (tx) => {
    const user = await findUser(tx, { companyId }, String(userId), { forUpdate: true })
    if (user.presence === 'in_call') {
      throw new DomainError('not_allowed', 'status: cannot be changed during a call', { field: 'status' })
    }
    if (reason !== undefined && status !== 'unavailable') {
      throw new DomainError('bad_request', 'reason: only an unavailable status has a reason', {
        field: 'reason',
      })
    }
    // DND lifts when another status is declared; offline stays offline (no client says
    // otherwise), DND then holds for when they connect.
    const livePresence =
      status === 'do_not_disturb'
        ? user.presence === 'offline'
          ? 'offline'
          : 'do_not_disturb'
        : user.presence === 'do_not_disturb'
          ? 'available'
          : user.presence
    const set: Partial<UserRow> =
      status === 'do_not_disturb'
        ? { presence: livePresence, doNotDisturb: true }
        : {
            presence: livePresence,
            doNotDisturb: false,
            availabilityStatus: status === 'auto' ? 'custom' : status,
            substatus: status === 'unavailable' ? (reason ?? null) : null,
          }
    const now = deps.clock.now()
    const [after] = await tx
      .update(users)
      .set({ ...set, updatedAt: now })
      .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
      .returning()
    await recordUserEvents(tx, deps, after!, openingEvents(user, after!, now))
    return after!
  })
  return result
}

export async function getUserRow(db: Queryable, companyId: number, userId: number): Promise<UserRow | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.companyId, companyId), eq(users.id, userId)))
    .limit(1)
  return row ?? null
}
