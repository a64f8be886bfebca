import type { Context } from 'hono'
import type { MessageAudioDeps } from '../../../services/numbers/aircall-messages.ts'
import { downloadMp3 } from '../../../services/numbers/audio-fetch.ts'
import { MAX_AUDIO_BYTES } from '../../../services/numbers/number-audio.ts'
import type { NumberDeps } from '../../../services/numbers/number-provisioning.ts'
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

export const tags = ['Numbers']
