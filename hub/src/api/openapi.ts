import { z } from '@hono/zod-openapi'

export const errorSchema = z
  .object({
    message: z.string(),
    code: z.string(),
    request_id: z.string().optional(),
    field: z.string().optional(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error')

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorSchema } },
})

/** Responses every authenticated route can give. */
export const errorResponses = {
  400: err('Invalid input; `field` names the culprit'),
  401: err('No credentials'),
  403: err('Bad credentials, or not allowed for this role'),
  404: err("Not found (also for another company's ids)"),
  429: err('Rate limited; see X-AircallApi-Reset'),
} as const
