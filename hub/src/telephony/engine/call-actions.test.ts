import { and, eq, like, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  callableNumber,
  callRow,
  timelineOf,
  webhookEventsOf,
} from '../../../test/helpers/calls.ts'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { DomainError } from '../../core/errors.ts'
import { calls, jobs, tags } from '../../db/schema/index.ts'
import { createCallActions } from './call-actions.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

async function scene() {
  const company = await hub.createCompany()
  const a = await addAgent(hub, company)
  const b = await addAgent(hub, company)
  for (const u of [a, b]) hub.setOnline(company.id, u.id)
  const number = await callableNumber(hub, company, (s) => ({
    distribution: { ...s.distribution, steps: [{ type: 'user', user_id: a.id, ring_time_sec: 20 }] },
  }))
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33612345678', to: number.e164 },
  })
  return { company, a, b, number, callId: res.body.call.id as number, actions: createCallActions(hub.deps) }
}

const code = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  return err instanceof DomainError ? err.code : err
}

describe('CallActions', () => {
  it('lets the ringing agent answer, then hang up; currentCall follows the call', async () => {
    const { company, a, callId, actions, number } = await scene()
    expect(await actions.currentCall(company.id, a.id)).toMatchObject({
      call_id: callId,
      status: 'ringing',
      number: { id: number.id, digits: number.e164 },
    })
    await actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId })
    expect(await callRow(hub, callId)).toMatchObject({ status: 'answered', userId: a.id })
    expect(await actions.currentCall(company.id, a.id)).toMatchObject({ call_id: callId, status: 'answered' })
    await actions.agentAction(company.id, a.id, { type: 'hangup', call_id: callId })
    expect((await callRow(hub, callId)).status).toBe('done')
    expect(await actions.currentCall(company.id, a.id)).toBeNull()
  })

  it('an answer withdraws the ring’s timer: nothing is left to fire for the call', async () => {
    const { company, a, callId, actions } = await scene()
    const timers = () =>
      hub.deps.db
        .select({ key: jobs.jobKey, state: jobs.state })
        .from(jobs)
        .where(and(eq(jobs.queue, 'calls'), like(jobs.jobKey, `call:${callId}:v%`)))
    expect(await timers()).toEqual([{ key: `call:${callId}:v1`, state: 'waiting' }])
    await actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId })
    expect(await timers()).toEqual([])
    expect(await callRow(hub, callId)).toMatchObject({ status: 'answered', timerAt: null })
  })

  it('refuses an agent acting on a call that is not theirs, and another company’s call', async () => {
    const { company, a, b, callId, actions } = await scene()
    expect(await code(actions.agentAction(company.id, b.id, { type: 'answer', call_id: callId }))).toBe(
      'not_allowed',
    )
    expect(await code(actions.agentAction(company.id, b.id, { type: 'hangup', call_id: callId }))).toBe(
      'not_allowed',
    )
    const other = await hub.createCompany()
    expect(await code(actions.agentAction(other.id, a.id, { type: 'answer', call_id: callId }))).toBe(
      'not_found',
    )
    expect(await actions.currentCall(company.id, b.id)).toBeNull()
    expect((await callRow(hub, callId)).status).toBe('initial')
  })

  it('a decline stops the ringing for that agent', async () => {
    const { company, a, callId, actions } = await scene()
    await actions.agentAction(company.id, a.id, { type: 'decline', call_id: callId })
    const row = await callRow(hub, callId)
    expect(row.ringing).toEqual([])
    expect(row.state).toMatchObject({ declined: [a.id] })
    expect(await code(actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId }))).toBe(
      'not_allowed',
    )
  })
})

/** Two calls ring agent a at once, as two routing decisions taken at the same moment leave them. */
async function twoCallsRingingA() {
  const { company, a, b, callId, actions } = await scene()
  const team = await addTeam(hub, company, 'Both', [a.id, b.id])
  const other = await callableNumber(hub, company, (s) => ({
    distribution: {
      ...s.distribution,
      steps: [{ type: 'team', team_id: team.id, ring_time_sec: 30, strategy: 'simultaneous' }],
    },
  }))
  const placed = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: '+33698765432', to: other.e164 },
  })
  const second = placed.body.call.id as number
  // a rings for the first call: the router rings only b for the second.
  expect((await callRow(hub, second)).ringing).toEqual([b.id])
  // As two decisions taken at the same moment leave it: the second call rings a too.
  await hub.db
    .update(calls)
    .set({
      ringing: [a.id, b.id],
      state: sql`jsonb_set(jsonb_set(${calls.state}, '{ringing}', ${JSON.stringify([a.id, b.id])}::jsonb), '{triedInStep}', ${JSON.stringify([a.id, b.id])}::jsonb)`,
    })
    .where(eq(calls.id, second))
  return { company, a, b, callId, second, actions }
}

describe('an agent rung for two calls at once', () => {
  it('an agent who answers stops ringing for a call routed to them at the same moment; it rings on', async () => {
    const { company, a, b, callId, second, actions } = await twoCallsRingingA()

    await actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId })
    expect(await callRow(hub, callId)).toMatchObject({ status: 'answered', userId: a.id })
    // The second call stops ringing a, and rings on for b.
    expect(await callRow(hub, second)).toMatchObject({ status: 'initial', ringing: [b.id] })
    expect(hub.agentChannel.framesOf(a.id, second).at(-1)).toMatchObject({ type: 'call.ring_stopped' })
    expect(hub.agentChannel.framesOf(b.id, second).map((f) => f.type)).not.toContain('call.ring_stopped')
    await actions.agentAction(company.id, b.id, { type: 'answer', call_id: second })
    expect(await callRow(hub, second)).toMatchObject({ status: 'answered', userId: b.id })
  })

  it('an agent who answers two ringing calls at the same instant is connected to one, refused the other', async () => {
    const { company, a, callId, second, actions } = await twoCallsRingingA()
    const answers = await Promise.all(
      [callId, second].map((id) =>
        code(actions.agentAction(company.id, a.id, { type: 'answer', call_id: id })),
      ),
    )
    expect(answers.sort()).toEqual(['not_allowed', null])
    const rows = await Promise.all([callRow(hub, callId), callRow(hub, second)])
    expect(rows.filter((r) => r.status === 'answered' && r.userId === a.id)).toHaveLength(1)
    expect(await actions.currentCall(company.id, a.id)).toMatchObject({ status: 'answered' })
  })
})

describe('mandatory tagging', () => {
  it('keeps the agent from the next call until they tag the last one', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    hub.setOnline(company.id, agent.id)
    const number = await callableNumber(hub, company, (s) => ({
      mandatory_tagging: true,
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: agent.id, ring_time_sec: 20 }] },
    }))
    const [tag] = await hub.db
      .insert(tags)
      .values({ companyId: company.id, name: 'Sale', color: '#00ff00' })
      .returning()
    const actions = createCallActions(hub.deps)
    const dial = async () =>
      (
        await hub.call('POST', '/v1/sandbox/calls', {
          auth: company.basic,
          body: { from: '+33612345678', to: number.e164 },
        })
      ).body.call.id as number

    const first = await dial()
    await actions.agentAction(company.id, agent.id, { type: 'answer', call_id: first })
    await actions.agentAction(company.id, agent.id, { type: 'hangup', call_id: first })
    expect(hub.agentChannel.framesOf(agent.id, first).map((m) => m.type)).toEqual([
      'call.ringing',
      'call.answered',
      'call.ended',
      'call.tag_required',
    ])
    const waiting = await dial()
    expect((await callRow(hub, waiting)).ringing).toEqual([])
    expect((await timelineOf(hub, waiting))[0]!.data.instruction).toMatchObject({ action: 'wait' })

    await actions.agentAction(company.id, agent.id, { type: 'tag', call_id: first, tag_ids: [tag!.id] })
    // Tagging twice adds nothing.
    await actions.agentAction(company.id, agent.id, { type: 'tag', call_id: first, tag_ids: [tag!.id] })
    const tagged = (await webhookEventsOf(hub, company.id, first)).filter((e) => e.event === 'call.tagged')
    expect(tagged).toHaveLength(1)
    expect(tagged[0]!.data.tags).toEqual([
      {
        id: tag!.id,
        name: 'Sale',
        color: '#00ff00',
        description: null,
        direct_link: `http://hub.test/v1/tags/${tag!.id}`,
      },
    ])
    // Tagged: the call that waited for the agent rings them now.
    expect((await callRow(hub, waiting)).ringing).toEqual([agent.id])
  })

  it('takes at most 5 comments, from the agent who took the call; another company’s tag is not found', async () => {
    const { company, a, b, callId, actions } = await scene()
    await actions.agentAction(company.id, a.id, { type: 'answer', call_id: callId })
    expect(
      await code(actions.agentAction(company.id, b.id, { type: 'comment', call_id: callId, content: 'x' })),
    ).toBe('not_allowed')
    for (let i = 1; i <= 5; i++) {
      await actions.agentAction(company.id, a.id, { type: 'comment', call_id: callId, content: `note ${i}` })
    }
    expect(
      await code(actions.agentAction(company.id, a.id, { type: 'comment', call_id: callId, content: '6' })),
    ).toBe('unprocessable')
    const commented = (await webhookEventsOf(hub, company.id, callId)).filter(
      (e) => e.event === 'call.commented',
    )
    expect(commented.at(-1)!.data.comments.map((c: { content: string }) => c.content)).toEqual([
      'note 1',
      'note 2',
      'note 3',
      'note 4',
      'note 5',
    ])
    const other = await hub.createCompany()
    const [foreign] = await hub.db
      .insert(tags)
      .values({ companyId: other.id, name: 'X', color: '#000000' })
      .returning()
    expect(
      await code(
        actions.agentAction(company.id, a.id, { type: 'tag', call_id: callId, tag_ids: [foreign!.id] }),
      ),
    ).toBe('not_found')
  })
})
