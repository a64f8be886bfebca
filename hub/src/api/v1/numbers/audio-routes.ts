import { createRoute, z } from '@hono/zod-openapi'
import { MESSAGE_SLOTS } from '@switchboard/shared'
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../../core/errors.ts'
import { parseCanonicalId } from '../../../core/ids.ts'
import { listTtsLanguages, renderNumberMessage } from '../../../services/numbers/message-audio.ts'
import {
  MAX_AUDIO_BYTES,
  readNumberAudio,
  uploadNumberAudio,
} from '../../../services/numbers/number-audio.ts'
import { findNumber } from '../../../services/numbers/number-hydrate.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponse, errorResponses, idParam, idParams, json, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'
import { speechEngine, tags } from './route-deps.ts'
import { audioSchema, ttsLanguagesSchema } from './schemas.ts'

/** Answers 404 for a number that is not the company's before reading a (large) upload. */
const requireNumber = createMiddleware<AppEnv>(async (c, next) => {
  const id = parseCanonicalId(c.req.param('id') ?? '')
  if (id !== null) await findNumber(c.var.deps.db, c.var.actor.companyId, id)
  await next()
})

// multipart overhead (boundaries, part headers) on top of the file itself
const uploadLimit = bodyLimit({
  maxSize: MAX_AUDIO_BYTES + 64 * 1024,
  onError: () => {
    throw new DomainError('payload_too_large', 'file: at most 10 MB', { field: 'file' })
  },
})

const binary = z.string().openapi({ format: 'binary' })

/** Uploaded MP3s for messages and music on hold; text-to-speech languages; listening to a message. */
export const audioRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/tts-languages',
      tags,
      security,
      middleware: [requireAdmin],
      summary: 'Text-to-speech languages and the voices of each',
      description: 'A TtsMessage names one `code` as `language` and one voice `id` of it as `voice`.',
      responses: { 200: json(ttsLanguagesSchema, 'Languages'), ...errorResponses },
    }),
    (c) => c.json({ languages: listTtsLanguages() }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}/settings/messages/{slot}/audio',
      tags,
      security,
      middleware: [requireAdmin],
      summary: 'Listen to a message',
      description:
        'Text-to-speech rendered to WAV (eSpeak NG when the hub machine has it, else a builtin rendering ' +
        'with the message rhythm and length, see TTS_ENGINE); an uploaded file as its MP3. 404 when the ' +
        'slot has no message, or holds a library track.',
      request: { params: z.object({ id: idParam(), slot: z.enum(MESSAGE_SLOTS) }) },
      responses: {
        200: {
          description: 'The audio',
          content: { 'audio/wav': { schema: binary }, 'audio/mpeg': { schema: binary } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, slot } = c.req.valid('param')
      const deps = { blobs: c.var.deps.blobs, speech: speechEngine(c) }
      const audio = await renderNumberMessage(serviceContext(c), deps, id, slot)
      return c.body(new Uint8Array(audio.bytes), 200, {
        'content-type': audio.contentType,
        'content-disposition': `inline; filename="${audio.name.replace(/[^\w.-]/g, '_')}"`,
      })
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/numbers/{id}/audio',
      tags,
      security,
      middleware: [requireAdmin, requireNumber, uploadLimit],
      summary: 'Upload an MP3 for messages or music on hold',
      description: 'At most 10 MB (413 beyond); the content must be MP3. Use the returned id as `audio_id`.',
      request: {
        params: idParams,
        body: {
          required: true,
          content: {
            'multipart/form-data': {
              schema: z.object({ file: z.instanceof(File).openapi({ type: 'string', format: 'binary' }) }),
            },
          },
        },
      },
      responses: {
        201: json(z.object({ audio: audioSchema }).openapi('NumberAudioEnvelope'), 'Stored'),
        413: errorResponse('Larger than 10 MB'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const file = c.req.valid('form').file
      if (file.size > MAX_AUDIO_BYTES) {
        throw new DomainError('payload_too_large', 'file: at most 10 MB', { field: 'file' })
      }
      const audio = await uploadNumberAudio(serviceContext(c), c.var.deps.blobs, c.req.valid('param').id, {
        name: file.name,
        bytes: new Uint8Array(await file.arrayBuffer()),
      })
      return c.json({ audio }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}/audio/{audio_id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: z.object({ id: idParam(), audio_id: z.uuid() }) },
      responses: {
        200: {
          description: 'The MP3',
          content: { 'audio/mpeg': { schema: z.string().openapi({ format: 'binary' }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, audio_id } = c.req.valid('param')
      const audio = await readNumberAudio(serviceContext(c), c.var.deps.blobs, id, audio_id)
      return c.body(new Uint8Array(audio.bytes), 200, {
        'content-type': 'audio/mpeg',
        'content-disposition': `inline; filename="${audio.name.replace(/[^\w.-]/g, '_')}"`,
      })
    },
  )
