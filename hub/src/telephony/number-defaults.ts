import { type NumberSettings, OFFICE_HOURS } from '@switchboard/shared'
import {
  DEFAULT_IVR_TIMEOUT_SEC,
  DEFAULT_MAX_QUEUE_TIME_SEC,
  DEFAULT_TEAM_RING_SEC,
  DEFAULT_USER_RING_SEC,
} from './routing-types.ts'

type DefaultTexts = {
  closed: string
  unavailable: string
  /** The closed and unavailable texts of a number whose voicemail is off: no invitation to leave a message. */
  closed_no_voicemail: string
  unavailable_no_voicemail: string
  ivr_menu: string
  callback_confirmation: string
}

/**
 * Text-to-speech messages a new number starts with, in the number's country language. The IVR
 * menu message exists from the start but must be rewritten by the admin (the product's guide:
 * the IVR message is switched on automatically and must be edited for the number to work).
 * The closed and unavailable texts come in two versions, with and without voicemail.
 */
const TEXTS: Record<string, DefaultTexts> = {
  en: {
    closed_no_voicemail: 'We are currently closed. Please call back during our opening hours.',
    unavailable_no_voicemail: 'All our agents are busy. Please call back later.',
    closed: 'We are currently closed. Please leave a message after the tone.',
    unavailable: 'All our agents are busy. Please leave a message after the tone.',
    ivr_menu: 'Please choose an option on your keypad.',
    callback_confirmation: 'Thank you, we will call you back as soon as possible.',
  },
  fr: {
    closed_no_voicemail: 'Nous sommes actuellement fermés. Merci de rappeler pendant nos heures d’ouverture.',
    unavailable_no_voicemail: 'Tous nos conseillers sont occupés. Merci de rappeler plus tard.',
    closed: 'Nous sommes actuellement fermés. Merci de laisser un message après le bip.',
    unavailable: 'Tous nos conseillers sont occupés. Merci de laisser un message après le bip.',
    ivr_menu: 'Veuillez choisir une option sur votre clavier.',
    callback_confirmation: 'Merci, nous vous rappellerons dès que possible.',
  },
  de: {
    closed_no_voicemail:
      'Wir sind derzeit geschlossen. Bitte rufen Sie während unserer Öffnungszeiten wieder an.',
    unavailable_no_voicemail: 'Alle Mitarbeiter sind im Gespräch. Bitte rufen Sie später wieder an.',
    closed: 'Wir sind derzeit geschlossen. Bitte hinterlassen Sie eine Nachricht nach dem Signalton.',
    unavailable:
      'Alle Mitarbeiter sind im Gespräch. Bitte hinterlassen Sie eine Nachricht nach dem Signalton.',
    ivr_menu: 'Bitte wählen Sie eine Option auf Ihrer Tastatur.',
    callback_confirmation: 'Vielen Dank, wir rufen Sie so bald wie möglich zurück.',
  },
  es: {
    closed_no_voicemail:
      'En este momento estamos cerrados. Por favor, llame durante nuestro horario de atención.',
    unavailable_no_voicemail: 'Todos nuestros agentes están ocupados. Por favor, llame más tarde.',
    closed: 'En este momento estamos cerrados. Por favor, deje un mensaje después de la señal.',
    unavailable: 'Todos nuestros agentes están ocupados. Por favor, deje un mensaje después de la señal.',
    ivr_menu: 'Por favor, elija una opción en su teclado.',
    callback_confirmation: 'Gracias, le devolveremos la llamada lo antes posible.',
  },
  it: {
    closed_no_voicemail:
      'Al momento siamo chiusi. La preghiamo di richiamare durante il nostro orario di apertura.',
    unavailable_no_voicemail: 'Tutti i nostri operatori sono occupati. La preghiamo di richiamare più tardi.',
    closed: 'Al momento siamo chiusi. Si prega di lasciare un messaggio dopo il segnale acustico.',
    unavailable: 'Tutti i nostri operatori sono occupati. Si prega di lasciare un messaggio dopo il segnale.',
    ivr_menu: 'Si prega di scegliere un’opzione sulla tastiera.',
    callback_confirmation: 'Grazie, la richiameremo il prima possibile.',
  },
  nl: {
    closed_no_voicemail: 'We zijn momenteel gesloten. Bel ons terug tijdens onze openingsuren.',
    unavailable_no_voicemail: 'Al onze medewerkers zijn in gesprek. Bel later terug.',
    closed: 'We zijn momenteel gesloten. Laat een bericht achter na de toon.',
    unavailable: 'Al onze medewerkers zijn in gesprek. Laat een bericht achter na de toon.',
    ivr_menu: 'Kies een optie op uw toetsenbord.',
    callback_confirmation: 'Bedankt, we bellen u zo snel mogelijk terug.',
  },
}

/** The default texts of a language tag ("fr-BE" → French), English for a language without its own. */
function textsOf(language: string): { texts: DefaultTexts; language: string } {
  const base = language.split('-')[0] ?? 'en'
  const texts = TEXTS[base]
  return texts ? { texts, language } : { texts: TEXTS.en!, language: 'en-US' }
}

type SpokenSlot = 'closed' | 'unavailable'

/** The default text of a closed or unavailable message, with or without voicemail. */
function defaultText(texts: DefaultTexts, slot: SpokenSlot, voicemail: boolean): string {
  if (slot === 'closed') return voicemail ? texts.closed : texts.closed_no_voicemail
  return voicemail ? texts.unavailable : texts.unavailable_no_voicemail
}

/**
 * The messages with the default closed and unavailable texts matching the voicemail setting: a
 * number whose voicemail is off must not invite callers to leave a message. Only a message that
 * is still one of the default texts (either version, in its own language) changes; a text the
 * admin wrote, an uploaded file or no message stays as it is.
 */
export function messagesFollowingVoicemail(settings: NumberSettings): NumberSettings['messages'] {
  const messages = { ...settings.messages }
  for (const slot of ['closed', 'unavailable'] as const) {
    const message = messages[slot]
    if (message?.type !== 'tts') continue
    const { texts } = textsOf(message.language)
    const isDefault =
      message.text === defaultText(texts, slot, true) || message.text === defaultText(texts, slot, false)
    if (isDefault) messages[slot] = { ...message, text: defaultText(texts, slot, settings.voicemail_enabled) }
  }
  return messages
}

export function defaultSettings(input: {
  type: 'classic' | 'ivr'
  timeZone: string
  language: string
  users: number[]
  teams: number[]
}): NumberSettings {
  const { texts, language } = textsOf(input.language)
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
    // can only call out with it (IVR numbers are assigned to users for outbound calls only).
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
