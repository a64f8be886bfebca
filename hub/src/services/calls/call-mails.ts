import { and, desc, eq, inArray } from 'drizzle-orm'
import { z } from 'zod'
import type { Queryable } from '../../db/client.ts'
import { callEvents, calls, numbers, outbox, users } from '../../db/schema/index.ts'
import type { OutboxConsumer } from '../../events/relay.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import { assignedCallMail, voicemailMail } from '../../mail/templates.ts'
import { eventBase } from '../../telephony/engine/call-object.ts'
import type { HubDeps } from '../deps.ts'
import { teamMembersOf } from '../numbers/number-hydrate.ts'
import { assignedTeamIds, assignedUserIds } from '../numbers/number-rules.ts'
import { DEFAULT_NOTIFICATION_PREFS } from '../users/user-fields.ts'
import { fullName } from '../users/user-json.ts'

/**
 * The mails the profile's notification preferences promise, sent from the outbox so they go
 * out exactly when the event does, whatever process recorded it:
 * - `call.voicemail_left` (recorded once the voicemail file is stored): a mail to each user of
 *   the call's number (the same users as the Number's `users`) whose `voicemail_email` is on;
 * - `call.assigned`: a mail to the assignee when their `assigned_call_email` is on and a
 *   teammate assigned it (not themselves).
 * Each mail is its own job, keyed by the call (voicemail) or the event (assignment) and the
 * recipient: a relay pass run twice queues nothing twice, and one failing address does not
 * make the others resend. Mails go in the user's language, times in their time zone, with the
 * call's link built from PUBLIC_URL (never from a request's Host).
 */

const mailKind = z.enum(['voicemail', 'assigned'])

export const callMailJob = defineJob({
  queue: 'mail',
  name: 'call-mail',
  schema: z.object({
    kind: mailKind,
    callId: z.number().int().positive(),
    userId: z.number().int().positive(),
  }),
  tries: 6,
  backoffMs: 2_000,
  concurrency: 2,
  handle: async (deps: HubDeps, data) => {
    await sendCallMail(deps, data.kind, data.callId, data.userId)
  },
})

/** The relay's consumer: the call mails of a batch of outbox events, as jobs. */
export const callMailsConsumer: OutboxConsumer = async (tx, _deps, events) => {
  const wanted = events.filter((e) => e.event === 'call.voicemail_left' || e.event === 'call.assigned')
  if (wanted.length === 0) return []
  const rows = await tx
    .select({ id: outbox.id, companyId: outbox.companyId, event: outbox.event, data: outbox.data })
    .from(outbox)
    .where(
      inArray(
        outbox.id,
        wanted.map((e) => e.id),
      ),
    )
  const items: { data: z.infer<typeof callMailJob.schema>; jobKey: string }[] = []
  for (const row of rows) {
    const callId = Number(row.data.id)
    if (!Number.isInteger(callId) || callId <= 0) continue
    if (row.event === 'call.voicemail_left') {
      const numberId = Number((row.data.number as { id?: unknown } | null)?.id)
      if (!Number.isInteger(numberId)) continue
      for (const userId of await voicemailRecipients(tx, row.companyId, numberId)) {
        items.push({
          data: { kind: 'voicemail', callId, userId },
          jobKey: `mail:voicemail:${callId}:${userId}`,
        })
      }
    } else {
      const userId = Number((row.data.assigned_to as { id?: unknown } | null)?.id)
      if (!Number.isInteger(userId) || userId <= 0) continue
      if (!(await wantsMail(tx, row.companyId, userId, 'assigned_call_email'))) continue
      items.push({ data: { kind: 'assigned', callId, userId }, jobKey: `mail:assigned:${row.id}:${userId}` })
    }
  }
  return newJobs(callMailJob, items)
}

type Pref = 'voicemail_email' | 'assigned_call_email'
const prefOf = (prefs: Partial<Record<Pref, boolean>> | null, pref: Pref) =>
  prefs?.[pref] ?? DEFAULT_NOTIFICATION_PREFS[pref]

async function wantsMail(db: Queryable, companyId: number, userId: number, pref: Pref) {
  const [user] = await db
    .select({ prefs: users.notificationPrefs })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.companyId, companyId)))
  return user ? prefOf(user.prefs, pref) : false
}

/** The number's users who get their voicemails by mail. */
async function voicemailRecipients(db: Queryable, companyId: number, numberId: number): Promise<number[]> {
  const [number] = await db
    .select()
    .from(numbers)
    .where(and(eq(numbers.id, numberId), eq(numbers.companyId, companyId)))
  if (!number) return []
  const members = await teamMembersOf(db, companyId, assignedTeamIds(number))
  const ids = assignedUserIds(number, members)
  if (ids.length === 0) return []
  const rows = await db
    .select({ id: users.id, prefs: users.notificationPrefs })
    .from(users)
    .where(and(eq(users.companyId, companyId), inArray(users.id, ids)))
  const wants = new Set(rows.filter((u) => prefOf(u.prefs, 'voicemail_email')).map((u) => u.id))
  return ids.filter((id) => wants.has(id))
}

/** Renders and sends one call mail; nothing when the call, the user or the reason is gone. */
export async function sendCallMail(
  deps: Pick<HubDeps, 'db' | 'mailer' | 'env'>,
  kind: z.infer<typeof mailKind>,
  callId: number,
  userId: number,
): Promise<void> {
  const { db } = deps
  const [call] = await db.select().from(calls).where(eq(calls.id, callId))
  if (!call) return
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.companyId, call.companyId)))
  const [number] = await db
    .select({ name: numbers.name, e164: numbers.e164 })
    .from(numbers)
    .where(and(eq(numbers.id, call.numberId), eq(numbers.companyId, call.companyId)))
  if (!user || !number) return
  const details = {
    caller: call.rawDigits || call.externalNumber,
    numberName: number.name,
    numberE164: number.e164,
    at: call.startedAt,
    link: `${eventBase(deps.env)}/v1/calls/${call.id}`,
  }
  if (kind === 'voicemail') {
    // Deleted since: there is nothing left to listen to.
    if (!call.voicemailBlobId || !call.voicemailDurationSec) return
    await deps.mailer.send(
      voicemailMail({
        to: user.email,
        language: user.language,
        timeZone: user.timeZone,
        call: details,
        durationSec: call.voicemailDurationSec,
      }),
    )
    return
  }
  // Reassigned to someone else since: no mail for a call that is no longer theirs.
  if (call.assignedTo !== userId) return
  const [assignment] = await db
    .select({ data: callEvents.data })
    .from(callEvents)
    .where(and(eq(callEvents.callId, call.id), eq(callEvents.type, 'assigned')))
    .orderBy(desc(callEvents.seq))
    .limit(1)
  const by = typeof assignment?.data.by === 'number' ? assignment.data.by : null
  // Agents who take a call for themselves know it already.
  if (by === userId) return
  const [assigner] =
    by === null
      ? []
      : await db
          .select({ firstName: users.firstName, lastName: users.lastName })
          .from(users)
          .where(and(eq(users.id, by), eq(users.companyId, call.companyId)))
  await deps.mailer.send(
    assignedCallMail({
      to: user.email,
      language: user.language,
      timeZone: user.timeZone,
      call: { ...details, direction: call.direction },
      byName: assigner ? fullName(assigner) : null,
    }),
  )
}
