import {
  type BusinessHours,
  type DestinationSetting,
  type MessageSetting,
  type NumberSettings,
  scheduleState,
} from '@switchboard/shared'
import type { numbers } from '../db/schema/index.ts'
import { inactiveReason } from './number-active.ts'
import type { Destination, Digit, DistributionStep, Prompt, RoutingConfig } from './routing-types.ts'

/**
 * Adapter from a number's stored settings (the API's snake_case document) to the router's
 * RoutingConfig. The router only ever sees this shape, so the stored document can evolve
 * without touching the routing rules.
 */

export function toDestination(d: DestinationSetting): Destination {
  switch (d.type) {
    case 'user':
      return { type: 'user', userId: d.user_id, ringTimeSec: d.ring_time_sec }
    case 'team':
      return { type: 'team', teamId: d.team_id, ringTimeSec: d.ring_time_sec, strategy: d.strategy }
    case 'external':
      return { type: 'external', e164: d.phone_number }
    case 'number':
      return { type: 'number', numberId: d.number_id }
    case 'voicemail':
      return { type: 'voicemail' }
    case 'hangup':
      return { type: 'hangup' }
  }
}

export function toPrompt(m: MessageSetting): Prompt | null {
  if (!m) return null
  if (m.type === 'tts') return { kind: 'tts', text: m.text, language: m.language, voice: m.voice }
  return { kind: 'audio', blobId: m.audio_id }
}

export function toBusinessHours(bh: NumberSettings['business_hours']): BusinessHours<Destination> {
  return {
    timeZone: bh.time_zone,
    mode: bh.mode,
    weekly: bh.weekly,
    exceptions: bh.exceptions.map((ex) => ({
      name: ex.name,
      start: ex.start,
      end: ex.end,
      destination: ex.destination ? toDestination(ex.destination) : null,
    })),
  }
}

/** Open at that instant per business hours; an exceptional period counts as closed (calls are diverted). */
export function isOpenAt(settings: NumberSettings, at: Date): boolean {
  return scheduleState(toBusinessHours(settings.business_hours), at).open
}

/** The number's columns the router needs besides its settings. */
export type RoutedNumber = {
  id: number
  type: 'classic' | 'ivr'
  verificationState: (typeof numbers.$inferSelect)['verificationState']
  releasedAt?: Date | null
}

export function toRoutingConfig(number: RoutedNumber, settings: NumberSettings): RoutingConfig {
  const notLive = inactiveReason(number)
  const options: Partial<Record<Digit, Destination>> = {}
  for (const option of settings.ivr.options) options[option.key] = toDestination(option.destination)
  const distribution: DistributionStep[] = settings.distribution.steps.map((step) =>
    step.type === 'user'
      ? { kind: 'user', userId: step.user_id, ringTimeSec: step.ring_time_sec }
      : { kind: 'team', teamId: step.team_id, ringTimeSec: step.ring_time_sec, strategy: step.strategy },
  )
  return {
    numberId: number.id,
    isIvr: number.type === 'ivr',
    active: notLive === null,
    inactiveReason: notLive,
    businessHours: toBusinessHours(settings.business_hours),
    messages: {
      welcome: toPrompt(settings.messages.welcome),
      closed: toPrompt(settings.messages.closed),
      unavailable: toPrompt(settings.messages.unavailable),
      ivrMenu: toPrompt(settings.messages.ivr_menu),
      callbackConfirmation: toPrompt(settings.messages.callback_confirmation),
    },
    holdMusic:
      settings.messages.music_on_hold.type === 'library'
        ? { kind: 'library', track: settings.messages.music_on_hold.track }
        : { kind: 'audio', blobId: settings.messages.music_on_hold.audio_id },
    voicemailEnabled: settings.voicemail_enabled,
    distribution: number.type === 'classic' ? distribution : [],
    respectQueueTime: settings.distribution.respect_queue_time,
    maxQueueTimeSec: settings.distribution.max_queue_time_sec,
    callbackOnStar: settings.callback_on_star,
    ivr: {
      options: number.type === 'ivr' ? options : {},
      fallback: toDestination(settings.ivr.fallback),
      timeoutSec: settings.ivr.timeout_sec,
    },
  }
}
