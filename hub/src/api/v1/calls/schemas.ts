import { z } from '@hono/zod-openapi'
import { parseCanonicalId } from '../../../core/ids.ts'
import { idParam, plainText } from '../../openapi.ts'
import { paginationQuery } from '../../pagination.ts'
import { contactSchema } from '../contacts/routes.ts'

/** The longest comment a call takes (Aircall does not say; the realtime channel's limit). */
export const MAX_COMMENT_LENGTH = 5000
const MAX_SEARCH_TAGS = 20

/** Tag ids, as `tags[]=1&tags[]=2` (Aircall), `tags=1&tags=2` or `tags=1,2`. */
const tagIdsParam = z
  .union([z.string(), z.array(z.string()).max(MAX_SEARCH_TAGS)])
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return undefined
    const ids = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map(parseCanonicalId)
    if (ids.length > MAX_SEARCH_TAGS || ids.some((id) => id === null)) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_SEARCH_TAGS} tag ids` })
      return z.NEVER
    }
    return ids as number[]
  })
  .openapi({
    type: 'array',
    items: { type: 'integer' },
    description: 'Tag ids: the call must have every one',
  })

export const searchQuery = paginationQuery.extend({
  direction: z.enum(['inbound', 'outbound']).optional(),
  user_id: idParam().optional().openapi({ description: 'The agent who took or placed the call' }),
  phone_number: plainText()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "The other party's number, any format; matched in E.164" }),
  'tags[]': tagIdsParam,
  tags: tagIdsParam,
})

const timelineEntrySchema = z
  .object({
    seq: z.number().int(),
    type: z.string().openapi({ example: 'leg_answered' }),
    created_at: z.number().int().openapi({ description: 'UNIX seconds' }),
    user_id: z.number().int().nullable(),
    digits: z.string().optional(),
    tag_ids: z.array(z.number().int()).optional(),
    assigned_to: z.number().int().optional(),
    forwarded: z
      .array(z.object({ user_id: z.number().int(), to: z.string(), caller_id: z.string() }))
      .optional()
      .openapi({
        description:
          "Agents' external phones that started ringing (external forwarding): the number dialled and the caller ID shown",
      }),
  })
  .openapi('CallTimelineEntry')

/** One linked CRM integration's sync of the call. */
export const callSyncSchema = z
  .object({
    integration_id: z.number().int(),
    integration_name: z.string(),
    kind: z.string().openapi({ example: 'hubspot' }),
    state: z.enum(['pending', 'synced', 'failed', 'skipped']),
    external_id: z.string().nullable().openapi({ description: "The CRM's id of the activity" }),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
    synced_at: z.string().nullable().openapi({ description: 'ISO 8601' }),
  })
  .openapi('CallSync')

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
    contact: contactSchema.nullable().openapi({ description: 'null unless fetch_contact=true' }),
    archived: z.boolean(),
    assigned_to: miniUser.nullable(),
    transferred_by: miniUser.nullable(),
    transferred_to: miniUser.nullable(),
    number: z.looseObject({ id: z.number().int(), name: z.string(), digits: z.string() }).nullable(),
    teams: z.array(z.object({ id: z.number().int(), name: z.string() })),
    tags: z.array(z.unknown()),
    comments: z.array(
      z.object({
        id: z.number().int(),
        content: z.string(),
        posted_at: z.number().int().openapi({ description: 'UNIX seconds' }),
        posted_by: z
          .object({ id: z.number().int(), direct_link: z.string(), name: z.string(), email: z.string() })
          .nullable()
          .openapi({ description: "The user who wrote it; null for an API key's" }),
      }),
    ),
    ivr_options_selected: z
      .array(
        z.object({
          key: z
            .string()
            .openapi({ description: 'The key pressed, or `fallback` when the caller chose none' }),
          title: z.null().optional().openapi({ description: 'Options have no titles: null' }),
          created_at: z
            .number()
            .int()
            .optional()
            .openapi({ description: 'UNIX seconds: when it was chosen' }),
          transition_started_at: z
            .number()
            .int()
            .nullable()
            .optional()
            .openapi({ description: 'UNIX seconds: when the menu first played' }),
          transition_ended_at: z
            .number()
            .int()
            .optional()
            .openapi({ description: 'UNIX seconds: when the caller left the menu (the choice)' }),
        }),
      )
      .openapi({ description: 'The IVR choices in order. Calls older than the times show `key` alone' }),
    timeline: z
      .array(timelineEntrySchema)
      .optional()
      .openapi({ description: 'With fetch_call_timeline=true' }),
    sync: z
      .array(callSyncSchema)
      .optional()
      .openapi({ description: 'GET /calls/{id} only: the call in each linked CRM (the sync ledger)' }),
  })
  .openapi('Call')
