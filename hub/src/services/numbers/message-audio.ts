import type { MessageSlot } from '@switchboard/shared'
import type { BlobStore } from '../../blobs/blob-store.ts'
import { notFound } from '../../core/errors.ts'
import { createFairSlots } from '../../core/fair-slots.ts'
import type { SpeechEngine } from '../../telephony/tts/tts-render.ts'
import { findTtsLanguage, findTtsVoice, TTS_LANGUAGES } from '../../telephony/tts/voices.ts'
import type { ServiceContext } from '../context.ts'
import { readNumberAudio } from './number-audio.ts'
import { findNumber } from './number-hydrate.ts'

/** Listening to a number's messages: the languages and voices offered, and each message as audio. */

/** GET /v1/numbers/tts-languages: every language with its voices (ids to give as `voice`). */
export function listTtsLanguages() {
  return TTS_LANGUAGES.map((l) => ({
    code: l.code,
    name: l.name,
    voices: l.voices.map((v, i) => ({ id: v.id, name: v.name, gender: v.gender, default: i === 0 })),
  }))
}

/**
 * Renderings run on this machine's CPU: two at a time in the process, one per company, so one
 * company asking for many cannot keep another from listening (core/fair-slots.ts).
 */
const renderSlots = createFairSlots({ total: 2, perKey: 1 })

export type MessageAudio = { bytes: Uint8Array; contentType: 'audio/wav' | 'audio/mpeg'; name: string }

/**
 * GET /v1/numbers/:id/settings/messages/:slot/audio: the message as a caller would hear it.
 * Text-to-speech is rendered to WAV (telephony/tts/tts-render.ts); an uploaded file is its MP3.
 */
export async function renderNumberMessage(
  ctx: ServiceContext,
  deps: { blobs: BlobStore; speech: SpeechEngine },
  numberId: number,
  slot: MessageSlot,
): Promise<MessageAudio> {
  const number = await findNumber(ctx.db, ctx.companyId, numberId)
  const message = number.settings.messages[slot]
  if (!message) throw notFound(`No ${slot} message is set on this number`)
  if (message.type === 'audio') {
    const audio = await readNumberAudio(ctx, deps.blobs, numberId, message.audio_id)
    return { bytes: audio.bytes, contentType: 'audio/mpeg', name: audio.name }
  }
  if (message.type === 'library') {
    throw notFound(`The music on hold is the library track "${message.track}": it has no audio file here`)
  }
  const language = findTtsLanguage(message.language) ?? findTtsLanguage('en-US')!
  const voice = findTtsVoice(language, message.voice) ?? language.voices[0]!
  const bytes = await renderSlots.run(ctx.companyId, () => deps.speech.render(message.text, language, voice))
  return { bytes, contentType: 'audio/wav', name: `${slot}.wav` }
}
