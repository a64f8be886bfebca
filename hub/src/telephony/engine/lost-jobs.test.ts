import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hungUpCall, placeSandboxCall } from '../../../test/helpers/call-scenes.ts'
import { callableNumber, callRow, timelineOf, until, webhookEventsOf } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { callTimerJob, callTimerKey, rearmCallTimers, startTimerSweep } from './call-engine.ts'
import { callFinalizeJob, finalizeCall, rearmFinalizations } from './call-finalize.ts'

/**
 * The jobs a call's change arms, lost as a crash loses them at scale: with BullMQ they are added
 * after the change commits, and a web process killed in between never adds them. Simulated
 * here by withdrawing the job the engine queued (both drivers): what the workers do then.
 */

const CALLER = '+33612345678'

describe('a lost call timer', () => {
  let hub: TestHub
  beforeAll(async () => {
    hub = await createTestHub({ workers: true })
  })
  afterAll(() => hub.close())

  /** A call ringing its one agent for 20 s, its timer job withdrawn as a crash loses it. */
  async function ringingCallWithLostTimer() {
    const company = await hub.createCompany()
    hub.setOnline(company.id, company.agentUserId)
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: {
        ...s.distribution,
        steps: [{ type: 'user', user_id: company.agentUserId, ring_time_sec: 20 }],
      },
    }))
    const id = await placeSandboxCall(hub, company, number.e164, CALLER)
    const ringing = await callRow(hub, id)
    await hub.queue.cancel(callTimerJob.queue, callTimerKey(id, ringing.timerVersion!))
    return { company, id, ringing }
  }

  it('is queued again by the sweep once overdue by 10 s: the call moves on instead of ringing forever', async () => {
    const { company, id, ringing } = await ringingCallWithLostTimer()
    expect(ringing.ringing).toEqual([company.agentUserId])

    // Its ring time is over, and nothing happens: the timer is gone.
    hub.clock.advance(25_000)
    await new Promise((r) => setTimeout(r, 300))
    expect((await callRow(hub, id)).ringing).toEqual([company.agentUserId])
    // Late by 5 s only (a busy queue, say): the sweep leaves it.
    expect(await rearmCallTimers(hub.deps, { overdueMs: 10_000 })).toBe(0)
    hub.clock.advance(6_000)
    expect(await rearmCallTimers(hub.deps, { overdueMs: 10_000 })).toBe(1)
    const moved = await until(async () => {
      const row = await callRow(hub, id)
      return row.version > ringing.version ? row : null
    }, 'the call to move on')
    // Nobody else to ring: the agent stops ringing, the caller goes on (voicemail).
    expect(moved.ringing).toEqual([])
    // Moved on by its timer, the one the sweep queued again.
    expect((await timelineOf(hub, id)).map((t) => t.type)).toEqual(['start', 'timer'])
  })

  it('is found by the periodic sweep on its own, only once overdue by 10 s', async () => {
    const { id, ringing } = await ringingCallWithLostTimer()
    // Every 50 ms of real time here (10 s in a deployment), against the hub's clock.
    const queued: number[] = []
    const sweep = startTimerSweep(hub.deps, { everyMs: 50, onSweep: (n) => queued.push(n) })
    const sweeps = async (count: number) => {
      const target = queued.length + count
      await until(async () => queued.length >= target, `${count} sweeps`)
      return queued.slice(target - count, target)
    }
    try {
      hub.clock.advance(25_000)
      // Overdue by 5 s: the sweeps leave it.
      expect(await sweeps(3)).toEqual([0, 0, 0])
      expect((await callRow(hub, id)).version).toBe(ringing.version)
      hub.clock.advance(6_000)
      expect(await sweeps(2)).toContain(1)
      await until(async () => (await callRow(hub, id)).version > ringing.version, 'the call to move on')
      expect((await timelineOf(hub, id)).map((t) => t.type)).toEqual(['start', 'timer'])
    } finally {
      await sweep.stop()
    }
  })
})

describe('a lost finalization', () => {
  let hub: TestHub
  beforeAll(async () => {
    // No workers: the test runs what a process starting again does.
    hub = await createTestHub()
  })
  afterAll(() => hub.close())

  it('is queued again when a process starts (rearmFinalizations), and runs once', async () => {
    const company = await hub.createCompany()
    const number = await callableNumber(hub, company, (s) => ({ messages: { ...s.messages, welcome: null } }))
    const id = await hungUpCall(hub, company, number.e164, CALLER)
    expect((await callRow(hub, id)).status).toBe('done')
    await hub.queue.cancel(callFinalizeJob.queue, `call:${id}:finalize`)

    const runs: number[] = []
    hub.queue.process(callFinalizeJob.queue, async (job) => {
      const { callId } = job.data as { callId: number }
      runs.push(callId)
      await finalizeCall(hub.deps, callId)
    })
    await hub.queue.start()
    // Two processes starting at once (a web process and a worker): one job, keyed by the call.
    await Promise.all([rearmFinalizations(hub.deps), rearmFinalizations(hub.deps)])
    await until(async () => runs.includes(id), 'the finalization to run')
    await until(
      async () => (await webhookEventsOf(hub, company.id, id)).some((e) => e.event === 'call.ended'),
      'call.ended',
    )
    await new Promise((r) => setTimeout(r, 300))
    expect(runs.filter((r) => r === id)).toEqual([id])
    expect((await timelineOf(hub, id)).filter((t) => t.type === 'finalized')).toHaveLength(1)
  })
})
