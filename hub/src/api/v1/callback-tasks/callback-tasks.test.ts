import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addAgent,
  addTeam,
  advanceUntilApplied,
  callableNumber,
  callRow,
  finalEventsOf,
  ttsSec,
  until,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { callbackTasks, tags } from '../../../db/schema/index.ts'

/**
 * The `*` callback request: a caller waiting for an agent presses `*`, hears the confirmation,
 * the call ends tagged Callback Request, and a callback task waits for the number's agents.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const CALLER = '+33612345678'

async function setup(company: TestCompany) {
  const anna = await addAgent(hub, company)
  const bob = await addAgent(hub, company)
  const outsider = await addAgent(hub, company)
  const team = await addTeam(hub, company, 'Support', [anna.id, bob.id])
  hub.setOnline(company.id, anna.id)
  const number = await callableNumber(hub, company, (s) => ({
    messages: { ...s.messages, welcome: null },
    distribution: {
      ...s.distribution,
      steps: [{ type: 'team', team_id: team.id, ring_time_sec: 60, strategy: 'simultaneous' }],
    },
  }))
  const bearer = async (userId: number) => `Bearer ${await hub.issueToken(company.id, userId, 'agent')}`
  return {
    anna,
    bob,
    outsider,
    number,
    annaAuth: await bearer(anna.id),
    outsiderAuth: await bearer(outsider.id),
  }
}

/** A call ringing on Anna whose caller presses `*`; its id once the call has ended. */
async function callbackCall(company: TestCompany, numberE164: string, confirmation: string) {
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: CALLER, to: numberE164 },
  })
  expect(res.status).toBe(201)
  const id: number = res.body.call.id
  const star = await hub.call('POST', `/v1/sandbox/calls/${id}/digits`, {
    auth: company.basic,
    body: { digits: '*' },
  })
  expect(star.status).toBe(204)
  const confirming = await callRow(hub, id)
  expect(confirming.ringing).toEqual([])
  expect(confirming.state).toMatchObject({ phase: 'callback_confirmation', outcome: 'callback' })
  const done = await advanceUntilApplied(hub, id, ttsSec(confirmation) * 1000)
  expect(done.status).toBe('done')
  return id
}

const list = (auth: string, query = '') => hub.call('GET', `/v1/callback_tasks${query}`, { auth })

describe('* callback request', () => {
  it('ends the call tagged Callback Request and gives the number’s agents a task, until one marks it done', async () => {
    const company = await hub.createCompany()
    const { anna, bob, outsider, number, annaAuth, outsiderAuth } = await setup(company)
    const confirmation = (number.settings.messages.callback_confirmation as { text: string }).text
    const id = await callbackCall(company, number.e164, confirmation)

    // Anna's phone stopped ringing when the caller pressed *.
    await until(
      async () => hub.agentChannel.framesOf(anna.id, id).some((m) => m.type === 'call.ring_stopped'),
      'the ring to stop',
    )
    const received = await finalEventsOf(hub, company.id, id)
    expect(received.map((e) => e.event)).toEqual([
      'call.created',
      'call.ringing_on_agent',
      'call.tagged',
      'call.hungup',
      'call.ended',
    ])
    expect(received[2]!.data.tags).toMatchObject([{ name: 'Callback Request' }])
    const call = await hub.call('GET', `/v1/calls/${id}?fetch_call_timeline=true`, { auth: company.basic })
    expect(call.body.call.tags).toMatchObject([{ name: 'Callback Request' }])
    expect(call.body.call.timeline.map((t: { type: string }) => t.type)).toContain('tagged')

    const expected = {
      status: 'open',
      call_id: id,
      call_link: `http://hub.test/v1/calls/${id}`,
      phone_number: CALLER,
      number: { id: number.id, name: number.name, digits: number.e164 },
      created_at: Math.floor(Date.parse('2026-03-02T09:00:00Z') / 1000),
      done_at: null,
      done_by: null,
    }
    const forAnna = await list(annaAuth)
    expect(forAnna.status).toBe(200)
    expect(forAnna.body.callback_tasks).toMatchObject([expected])
    expect(forAnna.body.meta).toMatchObject({ count: 1, total: 1 })
    const forAdmin = await list(company.basic)
    expect(forAdmin.body.callback_tasks).toMatchObject([expected])
    // An agent who is not on the number neither sees nor closes it.
    const taskId: number = forAnna.body.callback_tasks[0].id
    expect((await list(outsiderAuth)).body.callback_tasks).toEqual([])
    // The number's agents' apps were told at once, offline Bob's included (for when he opens
    // one); the outsider's were not.
    const announced = (userId: number) =>
      hub.agentChannel.framesOf(userId).filter((m) => m.type === 'callback_task.created')
    for (const agent of [anna, bob])
      expect(announced(agent.id)).toEqual([
        {
          type: 'callback_task.created',
          task: {
            id: taskId,
            call_id: id,
            phone_number: CALLER,
            number_id: number.id,
            created_at: expected.created_at,
          },
        },
      ])
    expect(announced(outsider.id)).toEqual([])
    const refused = await hub.call('POST', `/v1/callback_tasks/${taskId}/done`, { auth: outsiderAuth })
    expect(refused.status).toBe(404)

    const done = await hub.call('POST', `/v1/callback_tasks/${taskId}/done`, { auth: annaAuth })
    expect(done.status).toBe(200)
    expect(done.body.callback_task).toMatchObject({
      status: 'done',
      done_by: { id: anna.id },
      done_at: Math.floor(hub.clock.now().getTime() / 1000),
    })
    expect((await list(annaAuth)).body.callback_tasks).toEqual([])
    expect((await list(annaAuth, '?status=done')).body.callback_tasks).toMatchObject([{ id: taskId }])
    expect((await list(annaAuth, '?status=all')).body.meta.total).toBe(1)
    // Marking it again changes nothing.
    const again = await hub.call('POST', `/v1/callback_tasks/${taskId}/done`, { auth: company.basic })
    expect(again.body.callback_task).toEqual(done.body.callback_task)
  })

  it('creates the Callback Request tag of a company that lacks it', async () => {
    const company = await hub.createCompany()
    await hub.db.delete(tags).where(and(eq(tags.companyId, company.id), eq(tags.name, 'Callback Request')))
    const { number } = await setup(company)
    const confirmation = (number.settings.messages.callback_confirmation as { text: string }).text
    const id = await callbackCall(company, number.e164, confirmation)
    const [tag] = await hub.db
      .select()
      .from(tags)
      .where(and(eq(tags.companyId, company.id), eq(tags.name, 'Callback Request')))
    expect(tag).toMatchObject({ isSystem: true, color: '#00B894' })
    const call = await hub.call('GET', `/v1/calls/${id}`, { auth: company.basic })
    expect(call.body.call.tags).toMatchObject([{ id: tag!.id, name: 'Callback Request' }])
    expect(await hub.db.select().from(callbackTasks).where(eq(callbackTasks.callId, id))).toHaveLength(1)
  })

  it('a caller who does not press * leaves no task; another company sees none', async () => {
    const company = await hub.createCompany()
    const { number, annaAuth } = await setup(company)
    const res = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: CALLER, to: number.e164 },
    })
    await hub.call('POST', `/v1/sandbox/calls/${res.body.call.id}/hangup`, { auth: company.basic })
    expect((await list(annaAuth)).body.callback_tasks).toEqual([])

    const confirmation = (number.settings.messages.callback_confirmation as { text: string }).text
    await callbackCall(company, number.e164, confirmation)
    const intruder = await hub.createCompany()
    expect((await list(intruder.basic)).body.callback_tasks).toEqual([])
    const [task] = (await list(company.basic)).body.callback_tasks
    const other = await hub.call('POST', `/v1/callback_tasks/${task.id}/done`, { auth: intruder.basic })
    expect(other.status).toBe(404)
    expect((await list(company.basic)).body.callback_tasks).toMatchObject([{ id: task.id, status: 'open' }])
  })
})

describe('OpenAPI', () => {
  it('documents the callback task routes', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(
      doc.body.paths['/v1/callback_tasks'].get.parameters.map((p: { name: string }) => p.name),
    ).toContain('status')
    expect(doc.body.paths['/v1/callback_tasks/{id}/done'].post).toBeDefined()
  })
})

describe('security', () => {
  securityCases(() => hub, { method: 'GET', path: () => '/v1/callback_tasks' })
  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => {
      const [task] = await hub.db
        .insert(callbackTasks)
        .values({
          companyId: company.id,
          callId: await aCall(company),
          numberId: 1,
          externalNumber: CALLER,
          rawDigits: CALLER,
          createdAt: hub.clock.now(),
        })
        .returning()
      return `/v1/callback_tasks/${task!.id}/done`
    },
    ownedResource: true,
  })
})

/** A call of the company to hang a task on (security cases). */
async function aCall(company: TestCompany): Promise<number> {
  const number = await callableNumber(hub, company, (s) => s)
  const res = await hub.call('POST', '/v1/sandbox/calls', {
    auth: company.basic,
    body: { from: CALLER, to: number.e164 },
  })
  return res.body.call.id
}
