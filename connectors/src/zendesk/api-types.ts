import { z } from 'zod'

// Shapes of what Zendesk answers, tolerant: unknown keys pass, optional ones are nullish.

/** POST /oauth/tokens. https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token */
export const tokenResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string().nullish(),
  expires_in: z.number().nullish(),
  token_type: z.string().nullish(),
})

export const userSchema = z
  .object({
    id: z.number(),
    name: z.string().nullish(),
    email: z.string().nullish(),
    phone: z.string().nullish(),
    role: z.string().nullish(),
    updated_at: z.string().nullish(),
  })
  .passthrough()
export type ZendeskUser = z.infer<typeof userSchema>

export const ticketSchema = z.object({ id: z.number(), external_id: z.string().nullish() }).passthrough()

/** node-zendesk unwraps `{ticket: …}` / `{tickets: […]}`; raw requests may not: accept both. */
export function unwrap(key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value) && key in value)
    return (value as Record<string, unknown>)[key]
  return value
}
