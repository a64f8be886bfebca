import { describe, expect, it } from 'vitest'
import {
  initialOutboundState,
  OUTBOUND_AGENT_RING_SEC,
  OUTBOUND_CALLEE_RING_SEC,
  OUTBOUND_FORWARDED_RING_SEC,
  type OutboundEvent,
  type OutboundState,
  stepOutbound,
} from './outbound.ts'

const AGENT = 7
const TO = '+33612345678'

function run(...events: OutboundEvent[]) {
  let state: OutboundState = initialOutboundState(AGENT, TO, 0)
  const instructions = []
  for (const e of events) {
    const d = stepOutbound(state, e)
    state = d.state
    instructions.push(d.instruction)
  }
  return { state, instructions }
}

describe('outbound calls', () => {
  it('rings the agent first, dials the customer once the agent answers, connects when they answer', () => {
    const { state, instructions } = run(
      { type: 'start' },
      { type: 'agent_answered', userId: AGENT },
      { type: 'dial_result', status: 'answered' },
    )
    expect(instructions).toEqual([
      { action: 'ring_agent', userId: AGENT, timeoutSec: OUTBOUND_AGENT_RING_SEC },
      { action: 'dial', e164: TO, timeoutSec: OUTBOUND_CALLEE_RING_SEC },
      { action: 'connect', userId: AGENT },
    ])
    expect(state).toMatchObject({ phase: 'connected', outcome: 'answered', ringing: [] })
  })

  it("rings the agent's external phone for less time than their app (its voicemail must not answer)", () => {
    const { instruction } = stepOutbound(initialOutboundState(AGENT, TO, 0, 'forwarded'), { type: 'start' })
    expect(instruction).toEqual({
      action: 'ring_agent',
      userId: AGENT,
      timeoutSec: OUTBOUND_FORWARDED_RING_SEC,
    })
    expect(OUTBOUND_FORWARDED_RING_SEC).toBeLessThan(OUTBOUND_AGENT_RING_SEC)
  })

  it('ends without dialling when the agent declines or lets it ring out', () => {
    expect(run({ type: 'start' }, { type: 'agent_declined', userId: AGENT })).toMatchObject({
      state: { phase: 'ended', outcome: 'agent_declined', ringing: [] },
      instructions: [{ action: 'ring_agent' }, { action: 'hangup', stopRinging: true }],
    })
    expect(run({ type: 'start' }, { type: 'timeout' }).state.outcome).toBe('agent_no_answer')
  })

  it('ignores events of other agents and a customer result before dialling', () => {
    const { state, instructions } = run(
      { type: 'start' },
      { type: 'agent_answered', userId: AGENT + 1 },
      { type: 'dial_result', status: 'answered' },
    )
    expect(instructions.slice(1)).toEqual([{ action: 'none' }, { action: 'none' }])
    expect(state.phase).toBe('agent_ringing')
  })

  it.each([
    [{ type: 'dial_result', status: 'busy' } as const, 'busy'],
    [{ type: 'dial_result', status: 'failed' } as const, 'failed'],
    [{ type: 'dial_result', status: 'no_answer' } as const, 'no_answer'],
    [{ type: 'timeout' } as const, 'no_answer'],
    [{ type: 'callee_hungup' } as const, 'busy'],
    [{ type: 'agent_hungup', userId: AGENT } as const, 'cancelled'],
  ])('while the customer rings, %j ends the call as %s', (event, outcome) => {
    const { state, instructions } = run({ type: 'start' }, { type: 'agent_answered', userId: AGENT }, event)
    expect(state).toMatchObject({ phase: 'ended', outcome })
    expect(instructions.at(-1)).toEqual({ action: 'hangup', stopRinging: false })
  })

  it('leaves a connected call to the engine (hang-ups, transfers)', () => {
    const { instructions } = run(
      { type: 'start' },
      { type: 'agent_answered', userId: AGENT },
      { type: 'dial_result', status: 'answered' },
      { type: 'agent_hungup', userId: AGENT },
    )
    expect(instructions.at(-1)).toEqual({ action: 'none' })
  })
})
