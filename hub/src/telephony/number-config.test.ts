import type { NumberSettings } from '@switchboard/shared'
import { describe, expect, it } from 'vitest'
import { toRoutingConfig } from './number-config.ts'
import { defaultSettings } from './number-defaults.ts'
import { initialCallState, route } from './router.ts'
import { idle, MONDAY_10_PARIS, world } from './router-fixtures.ts'

const base = (type: 'classic' | 'ivr'): NumberSettings =>
  defaultSettings({ type, timeZone: 'Europe/Paris', language: 'fr-FR', users: [1], teams: [10] })

describe('toRoutingConfig', () => {
  it('maps a classic number: steps, hours, messages and queue options', () => {
    const settings = base('classic')
    settings.business_hours.mode = 'custom'
    settings.business_hours.exceptions = [
      {
        name: 'Holiday',
        start: '2026-05-01T00:00',
        end: '2026-05-02T00:00',
        destination: { type: 'team', team_id: 10, ring_time_sec: 40, strategy: 'random' },
      },
    ]
    settings.distribution.respect_queue_time = true
    const config = toRoutingConfig({ id: 7, type: 'classic', verificationState: 'not_required' }, settings)
    expect(config).toMatchObject({
      numberId: 7,
      isIvr: false,
      active: true,
      inactiveReason: null,
      voicemailEnabled: true,
      respectQueueTime: true,
      maxQueueTimeSec: 300,
      callbackOnStar: true,
      distribution: [
        { kind: 'user', userId: 1, ringTimeSec: 25 },
        { kind: 'team', teamId: 10, ringTimeSec: 20, strategy: 'simultaneous' },
      ],
      ivr: { options: {}, fallback: { type: 'voicemail' }, timeoutSec: 5 },
    })
    expect(config.businessHours.exceptions[0]!.destination).toEqual({
      type: 'team',
      teamId: 10,
      ringTimeSec: 40,
      strategy: 'random',
    })
    expect(config.messages.closed).toMatchObject({ kind: 'tts', language: 'fr-FR' })
  })

  it('gives an IVR number its options and no distribution, and the router follows them', () => {
    const settings = base('ivr')
    settings.distribution.steps = [{ type: 'user', user_id: 1, ring_time_sec: 25 }]
    settings.messages.welcome = { type: 'audio', audio_id: '0b5c2a4e-5f0e-4c55-9d1e-3a2b1c0d9e8f' }
    settings.ivr.options = [
      { key: '3', destination: { type: 'external', phone_number: '+33612345678' } },
      { key: '4', destination: { type: 'number', number_id: 9 } },
    ]
    const config = toRoutingConfig({ id: 8, type: 'ivr', verificationState: 'active' }, settings)
    expect(config.distribution).toEqual([])
    expect(config.messages.welcome).toEqual({ kind: 'audio', blobId: '0b5c2a4e-5f0e-4c55-9d1e-3a2b1c0d9e8f' })
    const w = world({ 1: idle() })
    let d = route(config, w, initialCallState(MONDAY_10_PARIS), { type: 'start' }, MONDAY_10_PARIS)
    expect(d.instruction).toMatchObject({ action: 'play', purpose: 'welcome' })
    d = route(config, w, d.state, { type: 'played' }, MONDAY_10_PARIS)
    expect(d.instruction).toMatchObject({ action: 'gather', play: 1 })
    d = route(config, w, d.state, { type: 'digit', digit: '3' }, MONDAY_10_PARIS)
    expect(d.instruction).toEqual({ action: 'transfer_external', e164: '+33612345678' })
  })

  const states = [
    ['not_required', null, true, null],
    ['active', null, true, null],
    ['pending_documents', null, false, 'pending_documents'],
    ['in_review', null, false, 'in_review'],
    ['rejected', null, false, 'rejected'],
    ['active', new Date('2026-03-01T00:00:00Z'), false, 'released'],
  ] as const
  for (const [verificationState, releasedAt, active, reason] of states) {
    it(`${verificationState}${releasedAt ? ', released' : ''}: ${active ? 'routes calls' : `refuses calls (${reason})`}`, () => {
      const config = toRoutingConfig(
        { id: 9, type: 'classic', verificationState, releasedAt },
        base('classic'),
      )
      expect(config).toMatchObject({ active, inactiveReason: reason })
      const d = route(
        config,
        world({ 1: idle() }),
        initialCallState(MONDAY_10_PARIS),
        { type: 'start' },
        MONDAY_10_PARIS,
      )
      if (active) expect(d.instruction).not.toMatchObject({ action: 'reject' })
      else expect(d.instruction).toEqual({ action: 'reject', reason: 'number_inactive' })
    })
  }
})
