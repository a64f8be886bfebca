import type { Context } from 'hono'
import type { MessageAudioDeps } from '../../../services/numbers/aircall-messages.ts'
import { downloadMp3 } from '../../../services/numbers/audio-fetch.ts'
import { MAX_AUDIO_BYTES } from '../../../services/numbers/number-audio.ts'
import type { NumberDeps } from '../../../services/numbers/number-provisioning.ts'
import { createSpeechEngine, type SpeechEngine } from '../../../telephony/tts/tts-render.ts'
import type { AppEnv } from '../../context.ts'

/** What the numbers services need from the app, taken from the request's context. */
export const numberDeps = (c: Context<AppEnv>): NumberDeps => ({
  carrier: c.var.deps.carrier,
  queue: c.var.deps.queue,
  logger: c.var.log,
})

export const messageAudioDeps = (c: Context<AppEnv>): MessageAudioDeps => ({
  blobs: c.var.deps.blobs,
  download: (url) =>
    downloadMp3(url, {
      companyId: c.var.actor.companyId,
      allowPrivate: c.var.deps.env.AUDIO_URLS_ALLOW_PRIVATE,
      maxBytes: MAX_AUDIO_BYTES,
    }),
})

const engines = new Map<string, SpeechEngine>()
/** The text-to-speech engine of TTS_ENGINE / TTS_ESPEAK_COMMAND (one per setting, made once). */
export const speechEngine = (c: Context<AppEnv>): SpeechEngine => {
  const { TTS_ENGINE: engine, TTS_ESPEAK_COMMAND: espeakCommand } = c.var.deps.env
  const key = `${engine}:${espeakCommand}`
  let made = engines.get(key)
  if (!made) {
    const logger = c.var.deps.logger
    made = createSpeechEngine({
      engine,
      espeakCommand,
      onFallback: (err) => logger.warn({ err }, 'tts: espeak-ng failed; builtin rendering used instead'),
    })
    engines.set(key, made)
  }
  return made
}

export const tags = ['Numbers']
