import type { NumberSettings } from '@switchboard/shared'
import { and, asc, eq, sql } from 'drizzle-orm'
import { callEvents, calls, numbers, outbox, teamMembers, teams, users } from '../../src/db/schema/index.ts'
import type { CallCommand } from '../../src/telephony/carrier/call-control.ts'
import type { TestCompany, TestHub } from './hub.ts'
import { createTestNumber } from './numbers-factory.ts'

/** A live number of the company whose settings are the defaults changed by `patch`. */
export async function callableNumber(
  hub: TestHub,
  company: TestCompany,
  patch: (s: NumberSettings) => Partial<NumberSettings>,
  options: { type?: 'classic' | 'ivr'; verificationState?: 'active' | 'pending_documents' } = {},
) {
  const row = await createTestNumber(hub.db, {
    companyId: company.id,
    verificationState: options.verificationState ?? 'active',
  })
  const settings = { ...row.settings, ...patch(row.settings) }
  const [updated] = await hub.db
    .update(numbers)
    .set({ settings, type: options.type ?? 'classic' })
    .where(eq(numbers.id, row.id))
    .returning()
  return updated!
}

let agentSeq = 0
/** Another agent of the company (available, no wrap-up unless given). */
export async function addAgent(
  hub: TestHub,
  company: TestCompany,
  values: Partial<typeof users.$inferInsert> = {},
) {
  const [user] = await hub.db
    .insert(users)
    .values({
      companyId: company.id,
      email: `agent${++agentSeq}-${company.id}@example.test`,
      firstName: `Agent${agentSeq}`,
      lastName: 'Test',
      role: 'agent',
      ...values,
    })
    .returning()
  return user!
}

export async function addTeam(hub: TestHub, company: TestCompany, name: string, memberIds: number[]) {
  const [team] = await hub.db.insert(teams).values({ companyId: company.id, name }).returning()
  const start = Date.parse('2026-01-01T00:00:00Z')
  for (const [i, userId] of memberIds.entries()) {
    // Members in a known order (sequential strategies ring in the order they joined).
    await hub.db
      .insert(teamMembers)
      .values({ companyId: company.id, teamId: team!.id, userId, createdAt: new Date(start + i * 1000) })
  }
  return team!
}

export async function callRow(hub: TestHub, id: number) {
  const [row] = await hub.db.select().from(calls).where(eq(calls.id, id))
  return row!
}

/** The call's timeline: event types in order. */
export async function timelineOf(hub: TestHub, id: number) {
  return hub.db.select().from(callEvents).where(eq(callEvents.callId, id)).orderBy(asc(callEvents.seq))
}

/** What a webhook receiver subscribed to every call event would get for this call, in order. */
export async function webhookEventsOf(hub: TestHub, companyId: number, callId: number) {
  const rows = await hub.db
    .select({ event: outbox.event, data: outbox.data })
    .from(outbox)
    .where(
      and(
        eq(outbox.companyId, companyId),
        eq(outbox.resource, 'call'),
        sql`(${outbox.data}->>'id')::bigint = ${callId}`,
      ),
    )
    .orderBy(asc(outbox.id))
  // biome-ignore lint/suspicious/noExplicitAny: tests read the webhook payloads as JSON
  return rows as { event: string; data: any }[]
}

/**
 * What a webhook receiver gets for a call that ended, once its last event (`call.ended`, sent
 * when the recording and voicemail are stored) is out.
 */
export async function finalEventsOf(hub: TestHub, companyId: number, callId: number) {
  await until(
    async () => (await webhookEventsOf(hub, companyId, callId)).some((e) => e.event === 'call.ended'),
    `call.ended of call ${callId}`,
  )
  return webhookEventsOf(hub, companyId, callId)
}

/** Polls (real time) until `check` holds; the queue's workers run jobs in the background. */
export async function until<T>(
  check: () => Promise<T | false | null | undefined>,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * The commands the engine gives the carrier from now on, per call: the carrier as the engine
 * drives it, recorded (the sandbox carries on as usual).
 */
export function recordCarrierCommands(hub: TestHub): Map<number, CallCommand[]> {
  const recorded = new Map<number, CallCommand[]>()
  const control = hub.deps.callControl
  const execute = control.execute.bind(control)
  hub.deps.callControl = {
    name: control.name,
    async execute(call, commands) {
      recorded.set(call.id, [...(recorded.get(call.id) ?? []), ...commands])
      await execute(call, commands)
    },
  }
  return recorded
}

/** The company's outbound call of this user still in progress, as the calls API lists it, once created. */
export async function outboundCallOf(hub: TestHub, company: TestCompany, userId: number) {
  return until(async () => {
    const res = await hub.call('GET', '/v1/calls', { auth: company.basic })
    return res.body.calls.find(
      (c: { direction: string; user: { id: number } | null; status: string }) =>
        c.direction === 'outbound' && c.user?.id === userId && c.status !== 'done',
    ) as { id: number } | undefined
  }, 'the outbound call')
}

/** Advances the fake clock, then waits until the call has moved past `version`. */
export async function advanceUntilApplied(hub: TestHub, callId: number, ms: number) {
  const before = (await callRow(hub, callId)).version
  hub.clock.advance(ms)
  return until(async () => {
    const row = await callRow(hub, callId)
    return row.version > before ? row : null
  }, `call ${callId} to move on after ${ms} ms`)
}

/** TTS prompt length as the engine times it (15 characters a second, at least 2 s). */
export const ttsSec = (text: string) => Math.max(2, Math.ceil(text.length / 15))
