import { createRoute, z } from '@hono/zod-openapi'
import { MESSAGE_SLOTS } from '@switchboard/shared'
import type { Context } from 'hono'
import { DomainError } from '../../../core/errors.ts'
import {
  type NumberSettingsPatch,
  numberSettingsInputSchema,
  numberSettingsPatchSchema,
} from '../../../services/numbers/number-settings.ts'
import {
  getNumberSettings,
  patchNumberSettings,
  replaceNumberSettings,
  setNumberMessage,
} from '../../../services/numbers/number-settings-service.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParam, idParams, json, jsonBody, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'
import { numberDeps, tags } from './route-deps.ts'
import { sectionBodies, settingsEnvelope } from './schemas.ts'

const admin = [requireAdmin]

/** Stores the sections given (each replaces the stored one) and answers the whole document. */
const patchSettings = (c: Context<AppEnv>, id: number, patch: NumberSettingsPatch) =>
  patchNumberSettings(serviceContext(c), numberDeps(c), id, patch)

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

/** A number's routing configuration: the whole document, some sections, one section. */
export const settingsRoutes = createRouter()
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
        numberDeps(c),
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
    sectionRoute('messages', sectionBodies.messages, 'Music and messages: the slots given, the others kept'),
    async (c) => {
      const settings = await patchSettings(c, c.req.valid('param').id, { messages: c.req.valid('json') })
      return c.json({ settings }, 200)
    },
    sectionHook('messages'),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/numbers/{id}/settings/messages/{slot}',
      tags,
      security,
      middleware: admin,
      summary: 'One message or the music on hold, the others untouched',
      description:
        '`message`: text-to-speech `{type: "tts", text, language, voice}` (languages and voices: ' +
        'GET /v1/numbers/tts-languages), an uploaded file `{type: "audio", audio_id}`, or null to remove a ' +
        'spoken message. `music_on_hold` takes `{type: "library", track}` or an uploaded file.',
      request: {
        params: z.object({ id: idParam(), slot: z.enum(MESSAGE_SLOTS) }),
        body: jsonBody(
          z.object({
            message: z.unknown().openapi({ description: 'TtsMessage, AudioRef, MusicOnHold or null' }),
          }),
        ),
      },
      responses: { 200: json(settingsEnvelope, 'The stored settings'), ...errorResponses },
    }),
    async (c) => {
      const { id, slot } = c.req.valid('param')
      const settings = await setNumberMessage(
        serviceContext(c),
        numberDeps(c),
        id,
        slot,
        c.req.valid('json').message,
      )
      return c.json({ settings }, 200)
    },
  )
