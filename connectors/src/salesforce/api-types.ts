import { z } from 'zod'

// Shapes of what Salesforce answers, tolerant: unknown keys pass, optional ones are nullish.

/** POST /services/oauth2/token. No `expires_in`: the session lives as the org's timeout says. */
export const tokenResponseSchema = z.object({
  access_token: z.string(),
  refresh_token: z.string().nullish(),
  instance_url: z.string(),
  /** Identity URL: https://login.salesforce.com/id/<orgId>/<userId> */
  id: z.string().nullish(),
})

export const saveResultSchema = z.object({
  id: z.string().nullish(),
  success: z.boolean(),
  errors: z
    .array(
      z.object({
        statusCode: z.string().nullish(),
        message: z.string().nullish(),
        fields: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
})
export type SaveResult = z.infer<typeof saveResultSchema>

const searchRecordSchema = z
  .object({
    attributes: z.object({ type: z.string() }),
    Id: z.string(),
    Name: z.string().nullish(),
    Phone: z.string().nullish(),
    MobilePhone: z.string().nullish(),
    HomePhone: z.string().nullish(),
    OtherPhone: z.string().nullish(),
    AssistantPhone: z.string().nullish(),
    Email: z.string().nullish(),
    AccountId: z.string().nullish(),
    /** Lead: the company typed on the lead. */
    Company: z.string().nullish(),
    /** Relationship fields (`Account.Name`, `Owner.Name`) come back as nested records. */
    Account: z.object({ Name: z.string().nullish() }).passthrough().nullish(),
    Owner: z.object({ Name: z.string().nullish() }).passthrough().nullish(),
    IsConverted: z.boolean().nullish(),
    LastModifiedDate: z.string().nullish(),
  })
  .passthrough()
export type SearchRecord = z.infer<typeof searchRecordSchema>

/** GET /search: `{searchRecords: [...]}` since API v36 (a bare array before). */
export const searchResponseSchema = z.object({ searchRecords: z.array(searchRecordSchema) })

export const queryResponseSchema = z.object({
  totalSize: z.number(),
  done: z.boolean(),
  records: z.array(z.object({ Id: z.string() }).passthrough()),
})

export const describeSchema = z.object({
  fields: z.array(
    z.object({ name: z.string(), createable: z.boolean().nullish(), updateable: z.boolean().nullish() }),
  ),
})
