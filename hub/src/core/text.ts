import { z } from 'zod'

/** PostgreSQL text cannot hold NUL: refuse it as input instead of failing on insert. */
export const withoutNul = (schema: z.ZodString) =>
  schema.refine((v) => !v.includes('\u0000'), 'must not contain NUL characters')
/** A string without NUL characters; chain trim/min/max on it. */
export const plainText = () => withoutNul(z.string())
