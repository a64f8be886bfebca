import { z } from '@hono/zod-openapi'

const miniUser = z.object({
  id: z.number().int(),
  direct_link: z.string(),
  name: z.string(),
  email: z.string(),
})

/** Aircall's Call object (the fields Switchboard fills; assets arrive with recordings). */
export const callSchema = z
  .looseObject({
    id: z.number().int(),
    sid: z.string(),
    direct_link: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    status: z.enum(['initial', 'answered', 'done']),
    missed_call_reason: z.string().nullable(),
    started_at: z.number().int().nullable().openapi({ description: 'UNIX seconds' }),
    answered_at: z.number().int().nullable(),
    ended_at: z.number().int().nullable(),
    duration: z.number().int().openapi({ description: 'ended_at - started_at, ring time included' }),
    raw_digits: z.string(),
    voicemail: z.string().nullable(),
    recording: z.string().nullable(),
    user: miniUser.nullable(),
    contact: z.unknown().nullable(),
    archived: z.boolean(),
    assigned_to: miniUser.nullable(),
    transferred_by: miniUser.nullable(),
    transferred_to: miniUser.nullable(),
    number: z.looseObject({ id: z.number().int(), name: z.string(), digits: z.string() }).nullable(),
    teams: z.array(z.object({ id: z.number().int(), name: z.string() })),
    tags: z.array(z.unknown()),
    comments: z.array(z.unknown()),
    ivr_options_selected: z.array(z.object({ key: z.string() })),
  })
  .openapi('Call')
