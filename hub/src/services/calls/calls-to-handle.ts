import {
  and,
  asc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  notExists,
  or,
  type SQL,
  sql,
} from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Queryable } from '../../db/client.ts'
import { callbackTasks, calls, numbers } from '../../db/schema/index.ts'
import { numberIdsOfUser } from '../numbers/user-numbers.ts'

/**
 * The calls a user still has to handle (the daily summary's "appels à traiter"), in four kinds
 * that never overlap, in the order the summary lists them:
 * - `assigned`: calls assigned to the user and not archived, whatever their age: a teammate
 *   made them theirs, and only archiving them closes them;
 * - `callback`: open callback tasks (`*` pressed while waiting) on the user's numbers, whatever
 *   their age, until someone marks them done or archives their call;
 * - `voicemail` and `missed`: inbound calls on the user's numbers that started in the window
 *   (since the previous summary), ended unanswered (with a voicemail or not), and are still
 *   open: not archived, not assigned to anyone (an assigned call is its assignee's), with no
 *   callback task (open: listed as such; done: handled), and the caller not reached since (no
 *   call answered since, either way, between the company and that number; an anonymous
 *   caller cannot be reached, so only archiving closes their calls).
 * The user's numbers are those they are assigned to (as a Number's `users`). Every query is
 * scoped by the company, the "called back" check included: another company answering the
 * same caller closes nothing here.
 */
export type CallKind = 'assigned' | 'callback' | 'voicemail' | 'missed'

export type CallToHandle = {
  kind: CallKind
  callId: number
  /** The other party as dialled (or as the carrier gave it). */
  caller: string
  direction: 'inbound' | 'outbound'
  numberName: string
  numberE164: string
  /** When the call started (callback requests: when it was asked). */
  at: Date
  voicemailSec: number | null
}

export type CallsToHandle = {
  /** Every kind, in list order: how many calls there are and the first ones. */
  sections: { kind: CallKind; total: number; calls: CallToHandle[] }[]
  total: number
  /** How many calls the sections leave out (beyond `limit`). */
  more: number
}

const ORDER: readonly CallKind[] = ['assigned', 'callback', 'voicemail', 'missed']

export async function callsToHandle(
  db: Queryable,
  input: { companyId: number; userId: number; since: Date; until: Date; limit: number },
): Promise<CallsToHandle> {
  const { companyId, userId, limit } = input
  const lines = await numberIdsOfUser(db, companyId, userId)
  const fields = {
    callId: calls.id,
    rawDigits: calls.rawDigits,
    externalNumber: calls.externalNumber,
    direction: calls.direction,
    numberName: numbers.name,
    numberE164: numbers.e164,
    startedAt: calls.startedAt,
    voicemailSec: calls.voicemailDurationSec,
    // The count of the whole kind, before the limit: one query per kind.
    total: sql<number>`count(*) over ()`.mapWith(Number),
  }
  const callNumber = and(eq(numbers.id, calls.numberId), eq(numbers.companyId, calls.companyId))
  const unanswered = (voicemail: boolean) =>
    db
      .select(fields)
      .from(calls)
      .innerJoin(numbers, callNumber)
      .where(
        and(
          eq(calls.companyId, companyId),
          inArray(calls.numberId, lines),
          eq(calls.direction, 'inbound'),
          isNull(calls.answeredAt),
          isNotNull(calls.endedAt),
          eq(calls.archived, false),
          isNull(calls.assignedTo),
          gte(calls.startedAt, input.since),
          lt(calls.startedAt, input.until),
          voicemail ? isNotNull(calls.voicemailBlobId) : isNull(calls.voicemailBlobId),
          notExists(
            db
              .select({ one: sql`1` })
              .from(callbackTasks)
              .where(and(eq(callbackTasks.companyId, companyId), eq(callbackTasks.callId, calls.id))),
          ),
          notReachedSince(db),
        ),
      )
      .orderBy(asc(calls.startedAt), asc(calls.id))
      .limit(limit)

  const [assigned, callback, voicemail, missed] = await Promise.all([
    db
      .select(fields)
      .from(calls)
      .innerJoin(numbers, callNumber)
      .where(and(eq(calls.companyId, companyId), eq(calls.assignedTo, userId), eq(calls.archived, false)))
      .orderBy(asc(calls.startedAt), asc(calls.id))
      .limit(limit),
    lines.length === 0
      ? []
      : db
          .select({ ...fields, startedAt: callbackTasks.createdAt, rawDigits: callbackTasks.rawDigits })
          .from(callbackTasks)
          .innerJoin(
            calls,
            and(eq(calls.id, callbackTasks.callId), eq(calls.companyId, callbackTasks.companyId)),
          )
          .innerJoin(numbers, callNumber)
          .where(
            and(
              eq(callbackTasks.companyId, companyId),
              inArray(callbackTasks.numberId, lines),
              isNull(callbackTasks.doneAt),
              eq(calls.archived, false),
              isNull(calls.assignedTo),
            ),
          )
          .orderBy(asc(callbackTasks.createdAt), asc(callbackTasks.id))
          .limit(limit),
    lines.length === 0 ? [] : unanswered(true),
    lines.length === 0 ? [] : unanswered(false),
  ])

  const found: Record<CallKind, typeof assigned> = { assigned, callback, voicemail, missed }
  let room = limit
  const sections = ORDER.map((kind) => {
    const rows = found[kind]
    const listed = rows.slice(0, Math.max(0, room))
    room -= listed.length
    return {
      kind,
      total: rows[0]?.total ?? 0,
      calls: listed.map(
        (r): CallToHandle => ({
          kind,
          callId: r.callId,
          caller: r.rawDigits || r.externalNumber,
          direction: r.direction,
          numberName: r.numberName,
          numberE164: r.numberE164,
          at: r.startedAt,
          voicemailSec: r.voicemailSec,
        }),
      ),
    }
  })
  const total = sections.reduce((n, s) => n + s.total, 0)
  const shown = sections.reduce((n, s) => n + s.calls.length, 0)
  return { sections, total, more: total - shown }
}

/**
 * No call between the company and the same number was answered after this one began (a
 * callback that got through, the caller calling again and reaching someone, or another line
 * they rang at the same time). On the calls' (company, external number, started) index.
 */
function notReachedSince(db: Queryable): SQL | undefined {
  const later = alias(calls, 'later')
  return or(
    eq(calls.externalNumber, 'anonymous'),
    notExists(
      db
        .select({ one: sql`1` })
        .from(later)
        .where(
          and(
            eq(later.companyId, calls.companyId),
            eq(later.externalNumber, calls.externalNumber),
            gt(later.answeredAt, calls.startedAt),
          ),
        ),
    ),
  )
}
