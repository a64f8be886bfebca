import { z } from '@hono/zod-openapi'
import { MAX_ID, parseCanonicalId } from '../core/ids.ts'
import { metaSchema } from './pagination.ts'

/**
 * The pieces every /v1 route definition is made of: security, id path parameters, text
 * refinements, JSON request and response helpers, error responses.
 */

export const errorSchema = z
  .object({
    message: z.string(),
    code: z.string(),
    request_id: z.string().optional(),
    field: z.string().optional(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Error')

/** Routes authenticated by app.ts: a company API key (Basic) or a user token (Bearer). */
export const security: Record<string, string[]>[] = [{ basicAuth: [] }, { bearerAuth: [] }]
/** Routes only a user's own token (session or agent token) can call. */
export const bearerSecurity: Record<string, string[]>[] = [{ bearerAuth: [] }]

/**
 * A numeric id in the path or the query: only its canonical decimal spelling (see
 * core/ids.ts); anything else, out of int4 range included, is a 400 naming the parameter.
 * Every `{id}`-style parameter of /v1 is built from this, so the rule holds in one place.
 */
export const idParam = () =>
  z
    .string()
    .refine((text) => parseCanonicalId(text) !== null, {
      error: `must be an id: decimal digits without sign, leading zero or spaces, 1 to ${MAX_ID}`,
    })
    .transform(Number)
    .openapi({ type: 'integer', minimum: 1, maximum: MAX_ID })
/** `{id}` path parameters. */
export const idParams = z.object({ id: idParam() })

/** Postgres text cannot hold NUL: refuse it as bad input instead of failing the insert. */
export { plainText, withoutNul } from '../core/text.ts'

/** A JSON response. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
})

/** A response in the error shape. */
export const errorResponse = (description: string) => json(errorSchema, description)

/** Responses every authenticated route can give. */
export const errorResponses = {
  400: errorResponse('Invalid input; `field` names the culprit'),
  401: errorResponse('No credentials'),
  403: errorResponse('Bad credentials, or not allowed for this role'),
  404: errorResponse("Not found (also for another company's ids)"),
  429: errorResponse('Rate limited; see X-AircallApi-Reset'),
} as const

/** A page of a list, as Aircall shapes it: `{ <key>: [...], meta }`. */
export function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  // Safe: the literal has exactly the key `key` (an array of `item`) and `meta`; TypeScript
  // only widens a computed generic key to an index signature.
  const shape = { [key]: z.array(item), meta: metaSchema } as { [P in K]: z.ZodArray<T> } & {
    meta: typeof metaSchema
  }
  return z.object(shape)
}
