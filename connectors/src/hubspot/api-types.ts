import { z } from 'zod'

// Shapes of what HubSpot answers, tolerant: unknown keys pass, optional ones are nullish.

/** https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide */
export const tokenResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string().nullish(),
  expires_in: z.number(),
  token_type: z.string().nullish(),
  hub_id: z.number().nullish(),
})

/** `{status, message, correlationId, category?, policyName?, errors?}` on every error. */
export const errorBodySchema = z
  .object({
    status: z.string().nullish(),
    message: z.string().nullish(),
    category: z.string().nullish(),
    policyName: z.string().nullish(),
    correlationId: z.string().nullish(),
  })
  .passthrough()

export type HubspotErrorBody = z.infer<typeof errorBodySchema>

/** Contact properties we ask for on every search (a `properties` list replaces the defaults). */
export const contactProperties = [
  'firstname',
  'lastname',
  'email',
  'phone',
  'mobilephone',
  'company',
  'hubspot_owner_id',
  'lastmodifieddate',
] as const
