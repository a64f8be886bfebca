import { z } from 'zod'

// Shapes of what Dataverse and Microsoft Entra answer, tolerant: unknown keys pass, optional
// ones are nullish. dynamics-web-api revives ISO date strings into Date objects.

const when = z.union([z.string(), z.date()]).nullish()

/** GET WhoAmI(): the signed-in user and the environment (organization) the token reaches. */
export const whoAmISchema = z.object({
  UserId: z.string(),
  BusinessUnitId: z.string().nullish(),
  OrganizationId: z.string(),
})

/** A contact or lead row as the caller lookup selects it. */
export const personSchema = z
  .object({
    contactid: z.string().nullish(),
    leadid: z.string().nullish(),
    fullname: z.string().nullish(),
    firstname: z.string().nullish(),
    lastname: z.string().nullish(),
    emailaddress1: z.string().nullish(),
    telephone1: z.string().nullish(),
    telephone2: z.string().nullish(),
    mobilephone: z.string().nullish(),
    _parentcustomerid_value: z.string().nullish(),
    modifiedon: when,
  })
  .passthrough()
export type PersonRow = z.infer<typeof personSchema>

export const phonecallRowSchema = z
  .object({
    activityid: z.string(),
    statecode: z.number().int().nullish(),
    statuscode: z.number().int().nullish(),
    description: z.string().nullish(),
    subcategory: z.string().nullish(),
  })
  .passthrough()
export type PhonecallRow = z.infer<typeof phonecallRowSchema>

export const systemUserSchema = z.object({ systemuserid: z.string() }).passthrough()

/** A collection answer (`retrieveMultiple`): `{ value: [...] }`, a next link when paged. */
export function collectionOf<T extends z.ZodType>(row: T) {
  return z.object({ value: z.array(row) })
}
