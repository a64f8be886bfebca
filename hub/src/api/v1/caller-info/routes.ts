import { createRoute, z } from '@hono/zod-openapi'
import { callerCardSchema } from '@switchboard/shared'
import { callerCard } from '../../../services/caller-info/caller-info.ts'
import { createRouter } from '../../context.ts'
import { errorResponses, json, security } from '../../openapi.ts'

const query = z.object({
  phone_number: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .openapi({ description: 'E.164 ("+33612345678"), or national in `country`', example: '+33612345678' }),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
    .transform((s) => s.toUpperCase())
    .optional()
    .openapi({
      description: "For a national number: its country (default: the country of the company's first number)",
      example: 'FR',
    }),
})

export const callerInfoRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/caller_info',
    tags: ['Caller info'],
    security,
    summary: 'Who is calling: the caller card of a phone number',
    description:
      "Looks the number up in every active, connected CRM of the company (in parallel, under a short deadline: a CRM that does not answer in time is in `sources` with `ok: false`), and adds the company's last calls with the number and, with the weather app, the caller's place, local time and weather. Cached for a minute. Agents may call it.",
    request: { query },
    responses: {
      200: json(callerCardSchema, 'The caller card'),
      ...errorResponses,
    },
  }),
  async (c) => {
    const q = c.req.valid('query')
    const card = await callerCard(c.var.deps, {
      companyId: c.var.actor.companyId,
      phoneNumber: q.phone_number,
      defaultCountry: q.country ?? null,
    })
    return c.json(card, 200)
  },
)
