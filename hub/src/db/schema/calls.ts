import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { companyRef } from './companies.ts'
import { users } from './identity.ts'

/**
 * One phone call, inbound or outbound, in Aircall's terms (the Call object) plus the router's
 * memory of it. The call engine is the only writer: each event of the call is applied in one
 * transaction that locks this row, bumps `version` and appends to `call_events`.
 * Live agent state is derived from these rows (telephony/engine/live-state.ts), never stored.
 */
export const calls = pgTable(
  'calls',
  {
    // Aircall call ids are integers (Int64); JavaScript numbers are exact up to 2^53.
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    companyId: companyRef(),
    numberId: integer('number_id').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound'] }).notNull(),
    status: text('status', { enum: ['initial', 'answered', 'done'] }).notNull(),
    /** The other party, E.164 or 'anonymous'. */
    externalNumber: text('external_number').notNull(),
    /** The other party as the carrier gave it. */
    rawDigits: text('raw_digits').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Who answered (inbound) or placed it (outbound). */
    userId: integer('user_id'),
    assignedTo: integer('assigned_to'),
    transferredBy: integer('transferred_by'),
    transferredTo: integer('transferred_to'),
    /** The team whose step rang when the call was answered (or last rang). */
    teamId: integer('team_id'),
    missedCallReason: text('missed_call_reason'),
    archived: boolean('archived').notNull().default(false),
    recordingBlobId: text('recording_blob_id'),
    recordingState: text('recording_state', { enum: ['off', 'on', 'paused'] })
      .notNull()
      .default('off'),
    voicemailBlobId: text('voicemail_blob_id'),
    voicemailDurationSec: integer('voicemail_duration_sec'),
    /** The router's state: telephony/routing-types.ts CallState (db sits below telephony). */
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    /** Agents the call rings on now (the router state's `ringing`, as a column to query). */
    ringing: integer('ringing').array().notNull().default(sql`'{}'::integer[]`),
    /** Bumped by every applied event; timers carry the version they were armed at. */
    version: integer('version').notNull().default(0),
    /** When the armed timer fires (null: none): a restart re-arms it from here. */
    timerAt: timestamp('timer_at', { withTimezone: true }),
    /** The version the armed timer was set at: a timer job carrying another one is stale. */
    timerVersion: integer('timer_version'),
    carrierRef: text('carrier_ref'),
    /**
     * The insight cards posted for the call while it was live (each a card's `contents`), so
     * an agent it reaches later (next step, transfer, an app reconnecting) gets them too.
     */
    insightCards: jsonb('insight_cards').$type<unknown[][]>().notNull().default(sql`'[]'::jsonb`),
  },
  (t) => [
    // The company's calls in progress (live agent state, the restart sweep).
    index('calls_active_idx').on(t.companyId).where(sql`${t.endedAt} is null`),
    index('calls_company_started_idx').on(t.companyId, t.startedAt.desc(), t.id.desc()),
    // An agent's last calls (wrap-up, mandatory tag, longest idle).
    index('calls_user_ended_idx').on(t.companyId, t.userId, t.endedAt.desc()),
    // A number's calls, newest first (the caller card's recent calls; search by number).
    index('calls_company_external_started_idx').on(t.companyId, t.externalNumber, t.startedAt.desc()),
  ],
)

/**
 * The timeline of a call: one row per applied event, in order. The CRM sync reads it, so it is
 * written in the transaction that applies the event: no call can miss its timeline.
 */
export const callEvents = pgTable(
  'call_events',
  {
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    companyId: companyRef(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
)

export const callTags = pgTable(
  'call_tags',
  {
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    tagId: integer('tag_id').notNull(),
    companyId: companyRef(),
    taggedBy: integer('tagged_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.callId, t.tagId] })],
)

/** At most 5 per call (Aircall); never edited. */
export const callComments = pgTable(
  'call_comments',
  {
    id: serial('id').primaryKey(),
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    companyId: companyRef(),
    content: text('content').notNull(),
    postedBy: integer('posted_by'),
    postedAt: timestamp('posted_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('call_comments_call_idx').on(t.callId, t.id)],
)

/**
 * Simulated agent devices of the sandbox carrier: the agent counts as online, and answers a
 * ringing call after `answerAfterSec`, then hangs up after `talkSec`.
 */
export const sandboxDevices = pgTable(
  'sandbox_devices',
  {
    companyId: companyRef(),
    userId: integer('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    answerAfterSec: integer('answer_after_sec').notNull(),
    talkSec: integer('talk_sec').notNull(),
  },
  (t) => [index('sandbox_devices_company_idx').on(t.companyId)],
)

/**
 * A caller who pressed `*` while waiting asked to be called back (the admin guide's "Demande de
 * rappel"): the call ended, tagged Callback Request, and this task waits in the To-do of the
 * number's agents until one of them marks it done. One per call.
 */
export const callbackTasks = pgTable(
  'callback_tasks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    companyId: companyRef(),
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    numberId: integer('number_id').notNull(),
    /** Whom to call back: the caller, E.164 (or 'anonymous'), and as the carrier gave it. */
    externalNumber: text('external_number').notNull(),
    rawDigits: text('raw_digits').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    doneAt: timestamp('done_at', { withTimezone: true }),
    doneBy: integer('done_by'),
  },
  (t) => [
    uniqueIndex('callback_tasks_call_unique').on(t.callId),
    index('callback_tasks_company_idx').on(t.companyId, t.createdAt.desc(), t.id.desc()),
  ],
)

/**
 * The wrap-up of an agent who handed a live call over (a transfer taken, or their hang-up while
 * it rang): the call goes on without them, and for their wrap_up_time they are in after-call
 * work as after a call of theirs that ended (telephony/engine/wrap-up.ts, live-state.ts).
 */
export const handoverWrapUps = pgTable(
  'handover_wrap_ups',
  {
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    userId: integer('user_id').notNull(),
    companyId: companyRef(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    /** When user.wut_end went out (null: not yet). */
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.callId, t.userId] }),
    index('handover_wrap_ups_company_idx').on(t.companyId, t.until),
  ],
)

/**
 * A counter per company, bumped at commit by database triggers (migration 0006) whenever a
 * transaction wrote what calls are routed against: users, teams, team_members, numbers,
 * number_audio. The call engine keeps each company's routing world in memory and reloads it
 * when this moved, so every process sees a change at its next call event. (No foreign key: a
 * company's deletion cascades through those tables and bumps it on the way out.)
 */
export const routingVersions = pgTable('routing_versions', {
  companyId: integer('company_id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
})

/**
 * Each agent's last ended call: the call with the latest `ended_at` whose `user_id` they are.
 * Kept by a trigger on `calls` (migration 0015), so whatever ends a call keeps it, in the
 * same transaction; live-state.ts reads the company's rows at once instead of looking up each
 * agent's last call in `calls`.
 */
export const agentLastCalls = pgTable(
  'agent_last_calls',
  {
    userId: integer('user_id').primaryKey(),
    companyId: companyRef(),
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    numberId: integer('number_id').notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }).notNull(),
    answered: boolean('answered').notNull(),
  },
  (t) => [index('agent_last_calls_company_idx').on(t.companyId)],
)
