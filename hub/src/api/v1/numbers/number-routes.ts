import { createRoute, z } from '@hono/zod-openapi'
import { DomainError } from '../../../core/errors.ts'
import { integrationKinds } from '../../../db/schema/index.ts'
import { integrationsOfNumber } from '../../../services/integrations/integration-service.ts'
import { getNumber, listNumbers, listNumbersByCountry } from '../../../services/numbers/number-queries.ts'
import { numbersRoutingTo } from '../../../services/numbers/number-references.ts'
import { updateNumber } from '../../../services/numbers/number-update.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParams, json, jsonBody, security } from '../../openapi.ts'
import { buildMeta } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { messageAudioDeps, numberDeps, tags } from './route-deps.ts'
import {
  listNumbersQuery,
  numberEnvelope,
  numberList,
  numberSchema,
  numbersByCountry,
  referencesQuery,
  referencesSchema,
  updateNumberSchema,
} from './schemas.ts'

const admin = [requireAdmin]

/** One number, with the integrations it is linked to (the admin guide's "Intégrations liées"). */
const numberWithIntegrations = z
  .object({
    number: numberSchema.extend({
      integrations: z.array(
        z.object({ id: z.number().int(), name: z.string(), kind: z.enum(integrationKinds) }),
      ),
    }),
  })
  .openapi('NumberWithIntegrations')

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

/** Aircall's Number resource: list, retrieve, update; and which numbers route to a user or team. */
export const numberRoutes = createRouter()
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
      description:
        'Agents see the numbers they are assigned to (distribution or outbound-only). `search` keeps ' +
        'the numbers whose name (case and accents aside) or digits (any format) contain it.',
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
        return c.json({ countries: await listNumbersByCountry(ctx, q.search) }, 200)
      }
      const { numbers, total } = await listNumbers(ctx, q)
      return c.json({ numbers, meta: buildMeta(c, q, numbers.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}',
      tags,
      security,
      request: { params: idParams },
      responses: { 200: json(numberWithIntegrations, 'The number'), ...errorResponses },
    }),
    async (c) => {
      const ctx = serviceContext(c)
      const number = await getNumber(ctx, c.req.valid('param').id)
      return c.json({ number: { ...number, integrations: await integrationsOfNumber(ctx, number.id) } }, 200)
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
        numberDeps(c),
        c.req.valid('param').id,
        c.req.valid('json'),
        messageAudioDeps(c),
      )
      return c.json({ number }, 200)
    },
  )
