import { describe, expect, it } from 'vitest'
import { callActivitySchema, callKind, talkSeconds } from './call-activity.ts'
import { nationalSignificantNumber } from './phone.ts'

const call = {
  call_id: 1,
  call_ref: 'sb-call-1',
  direction: 'inbound' as const,
  started_at: 100,
  answered_at: 110,
  ended_at: 190,
  external_number: '+14155551212',
  line: { e164: '+14155550100', name: 'Support' },
  agent: null,
}

describe('call activity', () => {
  it('tells the five call types CRMs configure apart', () => {
    expect(callKind({ ...call, voicemail: false })).toBe('inbound_answered')
    expect(callKind({ ...call, answered_at: null, voicemail: false })).toBe('inbound_missed')
    expect(callKind({ ...call, answered_at: null, voicemail: true })).toBe('inbound_voicemail')
    expect(callKind({ ...call, direction: 'outbound', voicemail: false })).toBe('outbound_answered')
    expect(callKind({ ...call, direction: 'outbound', answered_at: null, voicemail: false })).toBe(
      'outbound_unanswered',
    )
  })

  it('counts talk time from the answer, not the ring', () => {
    expect(talkSeconds(call)).toBe(80)
    expect(talkSeconds({ answered_at: null, ended_at: 190 })).toBe(0)
    expect(talkSeconds({ answered_at: 110, ended_at: null })).toBe(0)
  })

  it('refuses numbers that are not E.164 and fills the defaults', () => {
    expect(callActivitySchema.safeParse({ ...call, external_number: '415-555-1212' }).success).toBe(false)
    expect(callActivitySchema.parse(call)).toMatchObject({
      tags: [],
      comments: [],
      voicemail: false,
      recording_url: null,
    })
  })

  it('strips the country code and no trunk prefix from a national number', () => {
    expect(nationalSignificantNumber('+14155551212')).toBe('4155551212')
    expect(nationalSignificantNumber('+33176111111')).toBe('176111111')
    expect(nationalSignificantNumber('+447911123456')).toBe('7911123456')
  })
})
