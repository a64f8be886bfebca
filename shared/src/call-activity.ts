import { z } from 'zod'

/**
 * A finished (or still running) call as the hub hands it to a CRM connector to log. Times are
 * Unix seconds as in Aircall's Call object; numbers are E.164. `call_ref` is the idempotency key
 * the connector writes on the CRM activity so a retried log finds the activity it already made.
 */
export const callActivitySchema = z.object({
  call_id: z.number().int().positive(),
  call_ref: z.string().min(1).max(100),
  direction: z.enum(['inbound', 'outbound']),
  started_at: z.number().int(),
  answered_at: z.number().int().nullable(),
  ended_at: z.number().int().nullable(),
  /** Inbound only: the caller left a voicemail. */
  voicemail: z.boolean().default(false),
  missed_call_reason: z.string().nullable().default(null),
  /** The other party: the caller (inbound) or the person called (outbound). */
  external_number: z.string().regex(/^\+\d{6,15}$/),
  /** The company's line the call came in on or went out from. */
  line: z.object({ e164: z.string().regex(/^\+\d{6,15}$/), name: z.string() }),
  agent: z.object({ name: z.string(), email: z.string() }).nullable(),
  tags: z.array(z.string()).default([]),
  comments: z.array(z.string()).default([]),
  recording_url: z.url().nullable().default(null),
  voicemail_url: z.url().nullable().default(null),
})
export type CallActivity = z.infer<typeof callActivitySchema>
export type CallActivityInput = z.input<typeof callActivitySchema>

/** The call types CRM integrations configure separately (outcome, task status, …). */
export const callKinds = [
  'inbound_answered',
  'inbound_missed',
  'inbound_voicemail',
  'outbound_answered',
  'outbound_unanswered',
] as const
export type CallKind = (typeof callKinds)[number]

export function callKind(c: Pick<CallActivity, 'direction' | 'answered_at' | 'voicemail'>): CallKind {
  if (c.direction === 'outbound') return c.answered_at !== null ? 'outbound_answered' : 'outbound_unanswered'
  if (c.answered_at !== null) return 'inbound_answered'
  return c.voicemail ? 'inbound_voicemail' : 'inbound_missed'
}

/** Talk time in seconds: answered → ended (ring time excluded); 0 for a call nobody answered. */
export function talkSeconds(c: Pick<CallActivity, 'answered_at' | 'ended_at'>): number {
  if (c.answered_at === null || c.ended_at === null) return 0
  return Math.max(0, c.ended_at - c.answered_at)
}
