import { type NumberSettings, OFFICE_HOURS } from '@switchboard/shared'
import {
  DEFAULT_IVR_TIMEOUT_SEC,
  DEFAULT_MAX_QUEUE_TIME_SEC,
  DEFAULT_TEAM_RING_SEC,
  DEFAULT_USER_RING_SEC,
} from './routing-types.ts'

type DefaultTexts = { closed: string; unavailable: string; ivr_menu: string; callback_confirmation: string }

/**
 * Text-to-speech messages a new number starts with, in the number's country language. The IVR
 * menu message exists from the start but must be rewritten by the admin (admin guide: "Le
 * message SVI est automatiquement activé mais doit être modifié").
 */
const TEXTS: Record<string, DefaultTexts> = {
  en: {
    closed: 'We are currently closed. Please leave a message after the tone.',
    unavailable: 'All our agents are busy. Please leave a message after the tone.',
    ivr_menu: 'Please choose an option on your keypad.',
    callback_confirmation: 'Thank you, we will call you back as soon as possible.',
  },
  fr: {
    closed: 'Nous sommes actuellement fermés. Merci de laisser un message après le bip.',
    unavailable: 'Tous nos conseillers sont occupés. Merci de laisser un message après le bip.',
    ivr_menu: 'Veuillez choisir une option sur votre clavier.',
    callback_confirmation: 'Merci, nous vous rappellerons dès que possible.',
  },
  de: {
    closed: 'Wir sind derzeit geschlossen. Bitte hinterlassen Sie eine Nachricht nach dem Signalton.',
    unavailable:
      'Alle Mitarbeiter sind im Gespräch. Bitte hinterlassen Sie eine Nachricht nach dem Signalton.',
    ivr_menu: 'Bitte wählen Sie eine Option auf Ihrer Tastatur.',
    callback_confirmation: 'Vielen Dank, wir rufen Sie so bald wie möglich zurück.',
  },
  es: {
    closed: 'En este momento estamos cerrados. Por favor, deje un mensaje después de la señal.',
    unavailable: 'Todos nuestros agentes están ocupados. Por favor, deje un mensaje después de la señal.',
    ivr_menu: 'Por favor, elija una opción en su teclado.',
    callback_confirmation: 'Gracias, le devolveremos la llamada lo antes posible.',
  },
  it: {
    closed: 'Al momento siamo chiusi. Si prega di lasciare un messaggio dopo il segnale acustico.',
    unavailable: 'Tutti i nostri operatori sono occupati. Si prega di lasciare un messaggio dopo il segnale.',
    ivr_menu: 'Si prega di scegliere un’opzione sulla tastiera.',
    callback_confirmation: 'Grazie, la richiameremo il prima possibile.',
  },
  nl: {
    closed: 'We zijn momenteel gesloten. Laat een bericht achter na de toon.',
    unavailable: 'Al onze medewerkers zijn in gesprek. Laat een bericht achter na de toon.',
    ivr_menu: 'Kies een optie op uw toetsenbord.',
    callback_confirmation: 'Bedankt, we bellen u zo snel mogelijk terug.',
  },
}

export function defaultSettings(input: {
  type: 'classic' | 'ivr'
  timeZone: string
  language: string
  users: number[]
  teams: number[]
}): NumberSettings {
  const base = input.language.split('-')[0] ?? 'en'
  const texts = TEXTS[base] ?? TEXTS.en!
  const language = TEXTS[base] ? input.language : 'en-US'
  const tts = (text: string) => ({ type: 'tts' as const, text, language, voice: 'female' as const })
  const ivr = input.type === 'ivr'
  return {
    business_hours: {
      time_zone: input.timeZone,
      mode: 'always_open',
      // Office hours pre-filled for when the admin switches to custom hours.
      weekly: structuredClone(OFFICE_HOURS),
      exceptions: [],
    },
    messages: {
      welcome: null,
      closed: tts(texts.closed),
      unavailable: tts(texts.unavailable),
      ivr_menu: tts(texts.ivr_menu),
      callback_confirmation: tts(texts.callback_confirmation),
      music_on_hold: { type: 'library', track: 'default' },
    },
    voicemail_enabled: true,
    // Users and teams chosen at creation take the calls of a classic number; on an IVR they
    // can only call out with it (admin guide: IVR numbers are assigned for outbound calls).
    distribution: {
      steps: ivr
        ? []
        : [
            ...input.users.map((userId) => ({
              type: 'user' as const,
              user_id: userId,
              ring_time_sec: DEFAULT_USER_RING_SEC,
            })),
            ...input.teams.map((teamId) => ({
              type: 'team' as const,
              team_id: teamId,
              ring_time_sec: DEFAULT_TEAM_RING_SEC,
              strategy: 'simultaneous' as const,
            })),
          ],
      respect_queue_time: false,
      max_queue_time_sec: DEFAULT_MAX_QUEUE_TIME_SEC,
    },
    outbound_only: { user_ids: ivr ? input.users : [], team_ids: ivr ? input.teams : [] },
    ivr: { options: [], fallback: { type: 'voicemail' }, timeout_sec: DEFAULT_IVR_TIMEOUT_SEC },
    recording: {
      inbound: { auto_start: !ivr, allow_pause_resume: true },
      outbound: { auto_start: true, allow_pause_resume: true },
    },
    callback_on_star: true,
    mandatory_tagging: false,
    linked_integrations: [],
  }
}
