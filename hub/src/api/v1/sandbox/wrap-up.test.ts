import { and, asc, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber, callRow, until, webhookEventsOf } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { jobs, outbox } from '../../../db/schema/index.ts'
import { endHandoverWrapUp, endWrapUp, rearmWrapUps } from '../../../telephony/engine/wrap-up.ts'

/**
 * Wrap-up time (after-call work) as a webhook receiver sees it: user.wut_start when the
 * agent's call ends, user.wut_end once their wrap_up_time is over, each carrying the User.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const CALLER = '+33612345678'

async function post(company: TestCompany, path: string, body?: unknown) {
  const res = await hub.call('POST', path, { auth: company.basic, body })
  expect(res.status, JSON.stringify(res.body)).toBe(204)
}

async function dial(company: TestCompany, to: string): Promise<number> {
  const res = await hub.call('POST', '/v1/sandbox/calls', { auth: company.basic, body: { from: CALLER, to } })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.call.id
}

/** user.* events of one user, as a webhook receiver subscribed to them gets them, in order. */
async function userEventsOf(companyId: number, userId: number) {
  const rows = await hub.db
    .select({ event: outbox.event, data: outbox.data })
    .from(outbox)
    .where(
      and(
        eq(outbox.companyId, companyId),
        eq(outbox.resource, 'user'),
        sql`(${outbox.data}->>'id')::bigint = ${userId}`,
      ),
    )
    .orderBy(asc(outbox.id))
  // biome-ignore lint/suspicious/noExplicitAny: tests read the webhook payloads as JSON
  return rows as { event: string; data: any }[]
}
const wutEvents = async (companyId: number, userId: number) =>
  (await userEventsOf(companyId, userId)).filter((e) => e.event.startsWith('user.wut_'))

/** An agent online, rung first by a number of the company; a call they answered and that ended. */
async function answeredCall(company: TestCompany, wrapUpTime: number) {
  const agent = await addAgent(hub, company, { wrapUpTime })
  hub.setOnline(company.id, agent.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 30 }] },
  }))
  const callId = await dial(company, number.e164)
  await post(company, `/v1/sandbox/calls/${callId}/agents/${agent.id}/answer`)
  hub.clock.advance(20_000)
  return { agent, number, callId }
}

describe('wrap-up time', () => {
  it('user.wut_start goes out with the hang-up, user.wut_end once the wrap-up time is over', async () => {
    const company = await hub.createCompany()
    const { agent, callId } = await answeredCall(company, 45)
    expect(await wutEvents(company.id, agent.id)).toEqual([])

    await post(company, `/v1/sandbox/calls/${callId}/hangup`)
    // Recorded by the hang-up's own transaction: there as soon as the request answered.
    const started = await wutEvents(company.id, agent.id)
    expect(started.map((e) => e.event)).toEqual(['user.wut_start'])
    // The User object, as every user.* event carries it.
    expect(started[0]!.data).toMatchObject({
      id: agent.id,
      direct_link: `http://hub.test/v1/users/${agent.id}`,
      email: agent.email,
      wrap_up_time: 45,
      availability_status: 'available',
    })
    expect(started[0]!.data.numbers).toHaveLength(1)
    const call = await webhookEventsOf(hub, company.id, callId)
    expect(call.map((e) => e.event)).toContain('call.hungup')

    // Not before the wrap-up time is over.
    hub.clock.advance(44_000)
    await new Promise((r) => setTimeout(r, 200))
    expect((await wutEvents(company.id, agent.id)).map((e) => e.event)).toEqual(['user.wut_start'])

    hub.clock.advance(1_000)
    const both = await until(async () => {
      const events = await wutEvents(company.id, agent.id)
      return events.length === 2 ? events : null
    }, 'user.wut_end')
    expect(both.map((e) => e.event)).toEqual(['user.wut_start', 'user.wut_end'])
    expect(both[1]!.data).toMatchObject({ id: agent.id, wrap_up_time: 45 })

    // The call's timeline says when the agent's wrap-up ended: after the hang-up, and before or
    // after the call's finalization (its recording stored), whichever came first.
    const res = await hub.call('GET', `/v1/calls/${callId}?fetch_call_timeline=true`, { auth: company.basic })
    expect(res.status).toBe(200)
    const timeline = res.body.call.timeline as { type: string; user_id: number | null }[]
    const ended = timeline.findIndex((e) => e.type === 'wrap_up_ended')
    expect(timeline[ended]).toMatchObject({ type: 'wrap_up_ended', user_id: agent.id })
    expect(timeline.findIndex((e) => e.type === 'caller_hungup')).toBeGreaterThan(0)
    expect(ended).toBeGreaterThan(timeline.findIndex((e) => e.type === 'caller_hungup'))
    expect(timeline.filter((e) => e.type === 'wrap_up_ended')).toHaveLength(1)
  })

  it('ends each wrap-up once, however often its job runs', async () => {
    const company = await hub.createCompany()
    const { agent, callId } = await answeredCall(company, 10)
    await post(company, `/v1/sandbox/calls/${callId}/hangup`)
    hub.clock.advance(10_000)
    await until(async () => (await wutEvents(company.id, agent.id)).length === 2, 'user.wut_end')
    // The call's finalization (its own job) changes its version too: once it is done.
    await until(
      async () => (await webhookEventsOf(hub, company.id, callId)).some((e) => e.event === 'call.ended'),
      'call.ended',
    )
    const version = (await callRow(hub, callId)).version
    // A retry after a crash between its commit and its acknowledgement.
    await endWrapUp(hub.deps, callId, agent.id)
    expect((await wutEvents(company.id, agent.id)).map((e) => e.event)).toEqual([
      'user.wut_start',
      'user.wut_end',
    ])
    expect((await callRow(hub, callId)).version).toBe(version)
  })

  it('a wrap-up whose job was lost ends all the same after a restart', async () => {
    const company = await hub.createCompany()
    const { agent, callId } = await answeredCall(company, 60)
    await post(company, `/v1/sandbox/calls/${callId}/hangup`)
    // At scale the job is added after the hang-up's commit: a crash in between loses it.
    const lost = await hub.db
      .delete(jobs)
      .where(eq(jobs.jobKey, `call:${callId}:wut-end`))
      .returning()
    expect(lost).toHaveLength(1)
    hub.clock.advance(20_000)
    expect(await rearmWrapUps(hub.deps)).toBeGreaterThanOrEqual(1)
    // Due when the wrap-up ends (40 s from now), not at once.
    await new Promise((r) => setTimeout(r, 200))
    expect((await wutEvents(company.id, agent.id)).map((e) => e.event)).toEqual(['user.wut_start'])
    hub.clock.advance(40_000)
    await until(async () => (await wutEvents(company.id, agent.id)).length === 2, 'user.wut_end')
    // The event commits before the queue marks its job done: wait for both.
    const wutEnd = () =>
      hub.db
        .select()
        .from(jobs)
        .where(eq(jobs.jobKey, `call:${callId}:wut-end`))
    await until(async () => (await wutEnd())[0]?.state === 'completed', 'wut-end job completed')
    // A second sweep finds nothing left to end.
    const before = await wutEnd()
    await rearmWrapUps(hub.deps)
    expect(await wutEnd()).toEqual(before)
  })

  it('no wrap-up events for an agent without wrap-up time, nor for a call nobody answered', async () => {
    const company = await hub.createCompany()
    const { agent, callId } = await answeredCall(company, 0)
    await post(company, `/v1/sandbox/calls/${callId}/hangup`)

    const other = await addAgent(hub, company, { wrapUpTime: 30 })
    hub.setOnline(company.id, other.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: other.id, ring_time_sec: 30 }] },
    }))
    const missed = await dial(company, number.e164)
    await post(company, `/v1/sandbox/calls/${missed}/hangup`)
    expect((await callRow(hub, missed)).status).toBe('done')

    hub.clock.advance(60_000)
    await new Promise((r) => setTimeout(r, 300))
    expect(await wutEvents(company.id, agent.id)).toEqual([])
    expect(await wutEvents(company.id, other.id)).toEqual([])
  })

  it('the agent who hands a call over wraps up from then: not rung meanwhile, once however often it ends', async () => {
    const company = await hub.createCompany()
    const { agent: first, number, callId } = await answeredCall(company, 30)
    const next = await addAgent(hub, company)
    hub.setOnline(company.id, next.id)
    const transfer = await hub.call('POST', `/v1/calls/${callId}/transfers`, {
      auth: company.basic,
      body: { user_id: next.id },
    })
    expect(transfer.status, JSON.stringify(transfer.body)).toBeLessThan(300)
    expect(await wutEvents(company.id, first.id)).toEqual([])
    hub.clock.advance(5_000)
    await post(company, `/v1/sandbox/calls/${callId}/agents/${next.id}/answer`)
    expect(await callRow(hub, callId)).toMatchObject({ status: 'answered', userId: next.id })
    // Handed over: the first agent's wrap-up starts now, while the call goes on without them.
    expect((await wutEvents(company.id, first.id)).map((e) => e.event)).toEqual(['user.wut_start'])

    // Meanwhile a new call to their number does not ring them.
    hub.clock.advance(10_000)
    const waiting = await dial(company, number.e164)
    expect((await callRow(hub, waiting)).ringing).toEqual([])

    hub.clock.advance(20_000)
    await until(async () => (await wutEvents(company.id, first.id)).length === 2, 'user.wut_end')
    // Wrapped up: the call that waited rings them.
    await until(
      async () => (await callRow(hub, waiting)).ringing.includes(first.id),
      'the waiting call to ring',
    )
    // A job run again (a retry after a crash) and a restart's sweep end it no second time.
    await endHandoverWrapUp(hub.deps, callId, first.id)
    await rearmWrapUps(hub.deps)
    await new Promise((r) => setTimeout(r, 200))
    expect((await wutEvents(company.id, first.id)).map((e) => e.event)).toEqual([
      'user.wut_start',
      'user.wut_end',
    ])
    // The agent who took it over has no wrap-up time: their hang-up starts none.
    await post(company, `/v1/sandbox/calls/${callId}/hangup`)
    expect(await wutEvents(company.id, next.id)).toEqual([])
  })

  it('a webhook may subscribe to the wrap-up events', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('POST', '/v1/webhooks', {
      auth: company.basic,
      body: { url: 'https://example.test/hook', events: ['user.wut_start', 'user.wut_end'] },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body.webhook.events).toEqual(['user.wut_start', 'user.wut_end'])
  })
})
