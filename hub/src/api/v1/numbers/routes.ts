import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../../core/errors.ts'
import { downloadMp3 } from '../../../services/numbers/audio-fetch.ts'
import {
  MAX_AUDIO_BYTES,
  type MessageAudioDeps,
  readNumberAudio,
  uploadNumberAudio,
} from '../../../services/numbers/number-audio.ts'
import { findNumber } from '../../../services/numbers/number-hydrate.ts'
import { previewNumber } from '../../../services/numbers/number-preview.ts'
import { numbersRoutingTo } from '../../../services/numbers/number-references.ts'
import {
  createNumber,
  deleteNumber,
  getNumber,
  getNumberSettings,
  listAvailable,
  listNumbers,
  listNumbersByCountry,
  listPricing,
  type NumberDeps,
  patchNumberSettings,
  replaceNumberSettings,
  updateNumber,
} from '../../../services/numbers/number-service.ts'
import {
  createNumberRequestSchema,
  type NumberSettingsPatch,
  numberSettingsInputSchema,
  numberSettingsPatchSchema,
} from '../../../services/numbers/number-settings.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import {
  errorResponse,
  errorResponses,
  idParam,
  idParams,
  json,
  jsonBody,
  MAX_ID,
  security,
} from '../../openapi.ts'
import { buildMeta } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import {
  audioSchema,
  availableNumberSchema,
  listNumbersQuery,
  numberEnvelope,
  numberList,
  numbersByCountry,
  previewRequestSchema,
  previewResponseSchema,
  pricingSchema,
  referencesQuery,
  referencesSchema,
  sectionBodies,
  settingsEnvelope,
  updateNumberSchema,
} from './schemas.ts'

const tags = ['Numbers']
const admin = [requireAdmin]

const deps = (c: Context<AppEnv>): NumberDeps => ({
  carrier: c.var.deps.carrier,
  queue: c.var.deps.queue,
  logger: c.var.log,
})

const messageAudio = (c: Context<AppEnv>): MessageAudioDeps => ({
  blobs: c.var.deps.blobs,
  download: (url) =>
    downloadMp3(url, { allowPrivate: c.var.deps.env.AUDIO_URLS_ALLOW_PRIVATE, maxBytes: MAX_AUDIO_BYTES }),
})

const MESSAGES_DESCRIPTION = [
  "Aircall's Music & Messages go through this call: `messages` maps Aircall keys to public MP3 URLs.",
  'The hub downloads each URL (https, public hosts only, 10 s, at most 10 MB, MP3 content) and stores it',
  'like an upload; any failure is a 400 naming `messages.<key>` and nothing of the request is applied.',
  '',
  'Keys → settings.messages slots: `welcome` → welcome; `waiting` → music_on_hold;',
  '`unanswered_call` → unavailable; `after_hours` → closed; `ivr` (IVR numbers) → ivr_menu;',
  '`voicemail` and `closed` (IVR numbers, deprecated) → like `unanswered_call` and `after_hours`;',
  '`callback_later` → callback_confirmation; `ringing_tone` is not supported (only null).',
  '',
  'A value equal to what GET shows leaves the key unchanged (a GET → edit → PUT round trip only',
  'changes what was edited); null on a slot holding an uploaded file restores its default message;',
  "a link to one of the company's own audio files (as GET shows them) is used without downloading.",
].join('\n')

/** Stores the sections given (each replaces the stored one) and answers the whole document. */
const patchSettings = (c: Context<AppEnv>, id: number, patch: NumberSettingsPatch) =>
  patchNumberSettings(serviceContext(c), deps(c), id, patch)

/** Answers 404 for a number that is not the company's before reading a (large) upload. */
const requireNumber = createMiddleware<AppEnv>(async (c, next) => {
  const id = Number(c.req.param('id'))
  if (Number.isInteger(id) && id > 0 && id <= MAX_ID) {
    await findNumber(c.var.deps.db, c.var.actor.companyId, id)
  }
  await next()
})

// multipart overhead (boundaries, part headers) on top of the file itself
const uploadLimit = bodyLimit({
  maxSize: MAX_AUDIO_BYTES + 64 * 1024,
  onError: () => {
    throw new DomainError('payload_too_large', 'file: at most 10 MB', { field: 'file' })
  },
})

/**
 * Section PUTs report fields by their place in the whole document ("ivr.options.0.key"), as
 * the whole-document validation does, rather than relative to the section body.
 */
const sectionHook =
  (section: keyof typeof sectionBodies) =>
  (result: { success: boolean; target: string; error?: z.ZodError }): undefined => {
    if (result.success || !result.error) return undefined
    const prefix = result.target === 'json' ? `${section}.` : ''
    const details = result.error.issues.map((i) => ({
      field: `${prefix}${i.path.join('.')}`.replace(/\.$/, ''),
      message: i.message,
    }))
    const first = details[0]!
    throw new DomainError('bad_request', `${first.field}: ${first.message}`, { field: first.field, details })
  }

const sectionRoute = <K extends keyof typeof sectionBodies, S extends z.ZodType>(
  section: K,
  schema: S,
  summary: string,
) =>
  createRoute({
    method: 'put',
    path: `/numbers/{id}/settings/${section}`,
    tags,
    security,
    middleware: admin,
    summary,
    description: 'Replaces this section; the resulting document is validated as a whole.',
    request: { params: idParams, body: jsonBody(schema) },
    responses: { 200: json(settingsEnvelope, 'The stored settings'), ...errorResponses },
  })

export const numbersRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/pricing',
      tags,
      security,
      middleware: admin,
      summary: 'Monthly price and verification requirements per country, before creation',
      request: { query: z.object({ country: z.string().max(2).optional() }) },
      responses: { 200: json(z.object({ pricing: z.array(pricingSchema) }), 'Countries'), ...errorResponses },
    }),
    (c) => c.json({ pricing: listPricing(c.req.valid('query').country) }, 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/available',
      tags,
      security,
      middleware: admin,
      summary: 'A few numbers that can be created in a country and area',
      request: {
        query: z.object({
          country: z.string().max(2),
          area: z
            .string()
            .max(5)
            .optional()
            .openapi({ description: 'Default: the first area of the country' }),
          limit: z.coerce.number().int().min(1).max(20).default(5),
        }),
      },
      responses: {
        200: json(z.object({ available_numbers: z.array(availableNumberSchema) }), 'Candidates'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const available = await listAvailable(serviceContext(c), c.var.deps.carrier, c.req.valid('query'))
      return c.json({ available_numbers: available }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/references',
      tags,
      security,
      middleware: admin,
      summary: 'Numbers whose routing names a user or a team (before deleting it)',
      description:
        'Deleting a user or a team removes it from these numbers: steps and outbound-only entries are ' +
        'removed, IVR options to it are removed, an IVR fallback becomes voicemail, an exceptional ' +
        'period falls back to the closed path.',
      request: { query: referencesQuery },
      responses: { 200: json(referencesSchema, 'Numbers and the fields that name it'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      if ((q.user_id === undefined) === (q.team_id === undefined)) {
        throw new DomainError('bad_request', 'user_id: give user_id or team_id', { field: 'user_id' })
      }
      const target = q.user_id !== undefined ? { userId: q.user_id } : { teamId: q.team_id! }
      return c.json({ numbers: await numbersRoutingTo(serviceContext(c), target) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers',
      tags,
      security,
      summary: 'Numbers, sorted by country then name',
      description: 'Agents see the numbers they are assigned to (distribution or outbound-only).',
      request: { query: listNumbersQuery },
      responses: {
        200: json(z.union([numberList, numbersByCountry]), 'Numbers (or grouped by country)'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const ctx = serviceContext(c)
      if (q.grouped === 'country') {
        return c.json({ countries: await listNumbersByCountry(ctx) }, 200)
      }
      const { numbers, total } = await listNumbers(ctx, q)
      return c.json({ numbers, meta: buildMeta(c, q, numbers.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/numbers',
      tags,
      security,
      middleware: admin,
      summary: 'Create a classic or IVR number',
      description:
        'Countries that require documents start `pending_documents` (inactive); users and teams ' +
        'given take the calls of a classic number, and call out with an IVR number.',
      request: { body: jsonBody(createNumberRequestSchema) },
      responses: {
        201: json(numberEnvelope, 'The created number'),
        503: errorResponse('No number available'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const number = await createNumber(serviceContext(c), deps(c), c.req.valid('json'))
      return c.json({ number }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}',
      tags,
      security,
      request: { params: idParams },
      responses: { 200: json(numberEnvelope, 'The number'), ...errorResponses },
    }),
    async (c) => {
      const number = await getNumber(serviceContext(c), c.req.valid('param').id)
      return c.json({ number }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/numbers/{id}',
      tags,
      security,
      middleware: admin,
      summary: 'Update a number, its music and its messages',
      description: MESSAGES_DESCRIPTION,
      request: { params: idParams, body: jsonBody(updateNumberSchema) },
      responses: { 200: json(numberEnvelope, 'The updated number'), ...errorResponses },
    }),
    async (c) => {
      const number = await updateNumber(
        serviceContext(c),
        deps(c),
        c.req.valid('param').id,
        c.req.valid('json'),
        messageAudio(c),
      )
      return c.json({ number }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/numbers/{id}',
      tags,
      security,
      middleware: admin,
      summary: 'Release the number',
      description: 'Other numbers routing to it lose those options (see /numbers/references).',
      request: { params: idParams },
      responses: { 204: { description: 'Released' }, ...errorResponses },
    }),
    async (c) => {
      await deleteNumber(serviceContext(c), deps(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}/settings',
      tags,
      security,
      middleware: admin,
      request: { params: idParams },
      responses: { 200: json(settingsEnvelope, 'The routing configuration'), ...errorResponses },
    }),
    async (c) =>
      c.json({ settings: await getNumberSettings(serviceContext(c), c.req.valid('param').id) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/numbers/{id}/settings',
      tags,
      security,
      middleware: admin,
      summary: 'Replace the whole routing configuration',
      description:
        'Validated as a whole: users, teams, numbers and audio files referenced must exist, no transfer ' +
        'chain may loop back to this number, slots must not overlap. An IVR option may give ' +
        '`create_number` instead of `number_id` to create the number it transfers to.',
      request: { params: idParams, body: jsonBody(numberSettingsInputSchema) },
      responses: { 200: json(settingsEnvelope, 'The stored settings'), ...errorResponses },
    }),
    async (c) => {
      const settings = await replaceNumberSettings(
        serviceContext(c),
        deps(c),
        c.req.valid('param').id,
        c.req.valid('json'),
      )
      return c.json({ settings }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/numbers/{id}/settings',
      tags,
      security,
      middleware: admin,
      summary: 'Replace some sections of the routing configuration',
      description:
        'Each top-level section given replaces the stored one; the result is validated as a whole.',
      request: { params: idParams, body: jsonBody(numberSettingsPatchSchema) },
      responses: { 200: json(settingsEnvelope, 'The stored settings'), ...errorResponses },
    }),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, c.req.valid('json'))
      return c.json({ settings }, 200)
    },
  )
  .openapi(
    sectionRoute('business_hours', sectionBodies.business_hours, 'Business hours and exceptional periods'),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, {
        business_hours: c.req.valid('json'),
      })
      return c.json({ settings }, 200)
    },
    sectionHook('business_hours'),
  )
  .openapi(
    sectionRoute('distribution', sectionBodies.distribution, 'Call distribution of a classic number'),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, { distribution: c.req.valid('json') })
      return c.json({ settings }, 200)
    },
    sectionHook('distribution'),
  )
  .openapi(
    sectionRoute('ivr', sectionBodies.ivr, 'IVR options, fallback and timeout'),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, { ivr: c.req.valid('json') })
      return c.json({ settings }, 200)
    },
    sectionHook('ivr'),
  )
  .openapi(
    sectionRoute('messages', sectionBodies.messages, 'Music and messages'),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, { messages: c.req.valid('json') })
      return c.json({ settings }, 200)
    },
    sectionHook('messages'),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/numbers/{id}/preview',
      tags,
      security,
      middleware: admin,
      summary: 'The path a call would take, step by step, without placing it',
      description:
        'Drives the real router: prompts play to the end (text-to-speech ≈ 15 characters a second), ' +
        'the caller presses `digits` at each menu, and nobody answers. The blacklist applies.',
      request: { params: idParams, body: jsonBody(previewRequestSchema) },
      responses: { 200: json(previewResponseSchema, 'The explained path'), ...errorResponses },
    }),
    async (c) =>
      c.json(await previewNumber(serviceContext(c), c.req.valid('param').id, c.req.valid('json')), 200),
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
      middleware: admin,
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
