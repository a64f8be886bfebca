import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTag } from '../../../test/helpers/call-scenes.ts'
import { callableNumber, timelineOf, webhookEventsOf } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { calls } from '../../db/schema/index.ts'
import { estimateMp3DurationMs } from '../../services/numbers/mp3.ts'
import { initialCallState } from '../router.ts'
import { finalizeCall, rearmFinalizations } from './call-finalize.ts'

/**
 * The end of a call as a crash leaves it: the hang-up committed (status done, call.hungup
 * sent) but its finalization never ran. No workers here: the test runs what a worker would.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function endedCall(company: TestCompany, values: Partial<typeof calls.$inferInsert>) {
  const number = await callableNumber(hub, company, () => ({}))
  const start = hub.clock.now()
  const [row] = await hub.db
    .insert(calls)
    .values({
      companyId: company.id,
      numberId: number.id,
      direction: 'inbound',
      status: 'done',
      externalNumber: '+33612345678',
      rawDigits: '+33612345678',
      startedAt: start,
      endedAt: new Date(start.getTime() + 40_000),
      state: initialCallState(start.getTime(), 1) as unknown as Record<string, unknown>,
      ...values,
    })
    .returning()
  return row!
}

const ended = async (companyId: number, callId: number) =>
  (await webhookEventsOf(hub, companyId, callId)).filter((e) => e.event === 'call.ended')

describe('call finalization', () => {
  it('stores the recording of a call that ended unfinalized, once, however often it runs', async () => {
    const company = await hub.createCompany()
    const start = hub.clock.now()
    const call = await endedCall(company, {
      answeredAt: new Date(start.getTime() + 10_000),
      recordingState: 'on',
    })
    // A worker starting after the crash finds it; finalizing twice (two workers, a retried
    // job) stores one file and sends call.ended once.
    expect(await rearmFinalizations(hub.deps)).toBeGreaterThanOrEqual(1)
    await Promise.all([finalizeCall(hub.deps, call.id), finalizeCall(hub.deps, call.id)])
    await finalizeCall(hub.deps, call.id)

    const endedEvents = await ended(company.id, call.id)
    expect(endedEvents).toHaveLength(1)
    const [row] = await hub.db.select().from(calls).where(eq(calls.id, call.id))
    expect(row!.recordingBlobId).toMatch(new RegExp(`^c/${company.id}/calls/${call.id}/recording-`))
    const blob = await hub.blobs.get(row!.recordingBlobId!)
    // From the answer to the hang-up: 30 s.
    expect(Math.abs(estimateMp3DurationMs(blob!.bytes)! - 30_000)).toBeLessThan(300)
    expect(endedEvents[0]!.data.recording).toContain(`/v1/call-assets/${company.id}/${call.id}/recording-`)
    expect((await timelineOf(hub, call.id)).map((t) => t.type)).toEqual(['finalized'])
  })

  it("call.ended carries the tags and comments the call has by then (an agent's wrap-up notes)", async () => {
    const company = await hub.createCompany()
    const start = hub.clock.now()
    const call = await endedCall(company, { answeredAt: new Date(start.getTime() + 10_000) })
    const vip = await apiTag(hub, company, 'VIP')
    expect(
      (await hub.call('POST', `/v1/calls/${call.id}/tags`, { auth: company.basic, body: { tags: [vip.id] } }))
        .status,
    ).toBe(201)
    const comment = await hub.call('POST', `/v1/calls/${call.id}/comments`, {
      auth: company.basic,
      body: { content: 'Wants the annual plan' },
    })
    expect(comment.status).toBe(201)
    await finalizeCall(hub.deps, call.id)
    const [event] = await ended(company.id, call.id)
    expect(event!.data.tags).toEqual([expect.objectContaining({ id: vip.id, name: 'VIP' })])
    expect(event!.data.comments).toEqual([expect.objectContaining({ content: 'Wants the annual plan' })])
    // As the Calls API shows the call.
    const shown = (await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })).body.call
    expect(event!.data.tags).toEqual(shown.tags)
    expect(event!.data.comments).toEqual(shown.comments)
  })

  it('a missed call without voicemail or recording ends with call.ended alone', async () => {
    const company = await hub.createCompany()
    const call = await endedCall(company, { missedCallReason: 'no_available_agent' })
    await finalizeCall(hub.deps, call.id)
    const events = (await webhookEventsOf(hub, company.id, call.id)).map((e) => e.event)
    expect(events).toEqual(['call.ended'])
    expect((await ended(company.id, call.id))[0]!.data).toMatchObject({ recording: null, voicemail: null })
    const [row] = await hub.db.select().from(calls).where(eq(calls.id, call.id))
    expect(row).toMatchObject({ recordingBlobId: null, voicemailBlobId: null })
  })

  it('leaves calls in progress alone', async () => {
    const company = await hub.createCompany()
    const call = await endedCall(company, { status: 'answered', endedAt: null, answeredAt: hub.clock.now() })
    await finalizeCall(hub.deps, call.id)
    expect(await webhookEventsOf(hub, company.id, call.id)).toEqual([])
    expect(await timelineOf(hub, call.id)).toEqual([])
  })
})
