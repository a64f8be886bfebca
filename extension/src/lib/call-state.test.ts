import { type AgentCall, type CallerCard, initialExtensionState, type Presence } from '@switchboard/shared'
import { describe, expect, it } from 'vitest'
import { applyServerMessage } from './call-state.ts'
import { backoffDelay } from './realtime-connection.ts'

const presence: Presence = {
  user_id: 7,
  online: true,
  declared: 'available',
  reason: null,
  live: 'idle',
  routable: true,
}
const call = (patch: Partial<AgentCall> = {}): AgentCall => ({
  call_id: 41,
  direction: 'inbound',
  status: 'ringing',
  external_number: '+33612345678',
  number: { id: 1, name: 'Support', digits: '+33100000001' },
  team: null,
  ivr_path: [],
  started_at: 1,
  answered_at: null,
  recording: 'off',
  tag_required: false,
  ...patch,
})
const hello = (c: AgentCall | null, live: Presence['live'] = 'idle') =>
  ({
    type: 'hello',
    v: 1,
    user: { id: 7, name: 'Ada', company_id: 1 },
    presence: { ...presence, live },
    call: c,
  }) as const

describe('what the side panel shows after each realtime frame', () => {
  it('shows the insight cards of the current call only, once each after a reconnect, none once it ends', () => {
    const card = (text: string) => ({
      type: 'call.insight_card' as const,
      call_id: 41,
      contents: [{ type: 'title' as const, text }],
    })
    let s = applyServerMessage(initialExtensionState, { type: 'call.ringing', call: call() })
    s = applyServerMessage(s, card('Ticket 1'))
    // A card for another call (ended here, or never shown) is not this call's.
    s = applyServerMessage(s, { ...card('Other'), call_id: 99 })
    expect(s.insight_cards.map((c) => c.contents[0]!.text)).toEqual(['Ticket 1'])
    // Reconnected: hello, then the hub sends the call's cards again.
    s = applyServerMessage(s, hello(call({ status: 'answered' }), 'in_call'))
    s = applyServerMessage(s, card('Ticket 1'))
    s = applyServerMessage(s, card('Plan: Enterprise'))
    expect(s.insight_cards.map((c) => c.contents[0]!.text)).toEqual(['Ticket 1', 'Plan: Enterprise'])
    s = applyServerMessage(s, { type: 'call.ended', call: call({ status: 'done' }) })
    expect(s.insight_cards).toEqual([])
  })

  it('lists the callback tasks again when the hub announces a new one', () => {
    const s = applyServerMessage(initialExtensionState, {
      type: 'callback_task.created',
      task: { id: 3, call_id: 41, phone_number: '+33612345678', number_id: 1, created_at: 1 },
    })
    expect(s.callbacks_seen).toBe(initialExtensionState.callbacks_seen + 1)
  })

  it('rings, answers, ends, and asks for a tag when the number requires one', () => {
    let s = applyServerMessage(initialExtensionState, hello(null))
    s = applyServerMessage(s, { type: 'call.ringing', call: call() })
    expect(s.call?.status).toBe('ringing')
    s = applyServerMessage(s, { type: 'call.answered', call: call({ status: 'answered' }) })
    expect(s.call?.status).toBe('answered')
    s = applyServerMessage(s, { type: 'call.ended', call: call({ status: 'done', tag_required: true }) })
    expect(s.call).toBeNull()
    expect(s.last_call?.call_id).toBe(41)
    expect(s.tag_required_call_id).toBe(41)
  })

  it('after a reconnect, takes the current call from hello (one answered meanwhile elsewhere is gone)', () => {
    let s = applyServerMessage(initialExtensionState, { type: 'call.ringing', call: call() })
    s = applyServerMessage(s, hello(null))
    expect(s.call).toBeNull()
    s = applyServerMessage(s, hello(call({ call_id: 42, status: 'answered' }), 'in_call'))
    expect(s.call?.call_id).toBe(42)
  })

  it('stops ringing when another agent answers, and ignores the stop of another call', () => {
    let s = applyServerMessage(initialExtensionState, { type: 'call.ringing', call: call() })
    s = applyServerMessage(s, { type: 'call.ring_stopped', call_id: 99, reason: 'answered_elsewhere' })
    expect(s.call?.call_id).toBe(41)
    s = applyServerMessage(s, { type: 'call.ring_stopped', call_id: 41, reason: 'answered_elsewhere' })
    expect(s.call).toBeNull()
  })

  it('replaces a click-to-call in progress with the outbound call the hub rings', () => {
    const dialing = {
      ...initialExtensionState,
      dial: { to: '+33612345678', state: 'placed' as const, message: null, at: 1 },
    }
    const s = applyServerMessage(dialing, { type: 'call.ringing', call: call({ direction: 'outbound' }) })
    expect(s.dial).toBeNull()
    expect(s.call?.direction).toBe('outbound')
  })
})

const card: CallerCard = {
  phone_number: '+33612345678',
  name: 'Jeanne Martin',
  company: 'Boulangerie Martin',
  records: [],
  recent_calls: [],
  location: null,
  weather: null,
  sources: [],
}

describe('the caller card, transfers and the call history', () => {
  it('shows the caller card of the ringing call, keeps it once answered, and drops it when the call is gone', () => {
    let s = applyServerMessage(initialExtensionState, { type: 'call.ringing', call: call() })
    // A card for another (older) call is not this caller's.
    s = applyServerMessage(s, { type: 'call.caller_card', call_id: 40, card })
    expect(s.caller_card).toBeNull()
    s = applyServerMessage(s, { type: 'call.caller_card', call_id: 41, card })
    expect(s.caller_card?.card.name).toBe('Jeanne Martin')
    s = applyServerMessage(s, { type: 'call.answered', call: call({ status: 'answered' }) })
    expect(s.caller_card?.call_id).toBe(41)
    s = applyServerMessage(s, { type: 'call.ringing', call: call({ call_id: 50 }) })
    expect(s.caller_card).toBeNull()
  })

  it('says when nobody took a transfer, and forgets a transferred call', () => {
    let s = applyServerMessage(initialExtensionState, {
      type: 'call.answered',
      call: call({ status: 'answered' }),
    })
    s = applyServerMessage(s, { type: 'call.transfer_failed', call_id: 41, reason: 'no_answer' })
    expect(s.transfer_failed).toEqual({ call_id: 41, reason: 'no_answer' })
    expect(s.call?.call_id).toBe(41)
    s = applyServerMessage(s, {
      type: 'call.transferred',
      call_id: 41,
      to: { user_id: 8, team_id: null, number: null },
    })
    expect(s.call).toBeNull()
    expect(s.transfer_failed).toBeNull()
    expect(s.recent_calls.map((c) => c.call_id)).toEqual([41])
  })

  it('keeps the last 20 calls, newest first, each once; and pre-fills the dialer when the hub asks', () => {
    let s = initialExtensionState
    for (let id = 1; id <= 22; id++)
      s = applyServerMessage(s, { type: 'call.ended', call: call({ call_id: id, status: 'done' }) })
    s = applyServerMessage(s, { type: 'call.ended', call: call({ call_id: 22, status: 'done' }) })
    expect(s.recent_calls.map((c) => c.call_id)).toEqual(Array.from({ length: 20 }, (_, i) => 22 - i))
    s = applyServerMessage(s, { type: 'dial', to: '+33142685300', number_id: 3 })
    expect(s.prefill).toEqual({ to: '+33142685300', number_id: 3 })
  })
})

describe('reconnect backoff', () => {
  it('doubles from about 1 s up to 30 s', () => {
    expect(backoffDelay(0, () => 1)).toBe(1000)
    expect(backoffDelay(3, () => 1)).toBe(8000)
    expect(backoffDelay(10, () => 1)).toBe(30_000)
    expect(backoffDelay(10, () => 0)).toBe(15_000)
  })
})
