import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { companyScoped, timestamps } from './columns.ts'
import { companyRef } from './companies.ts'

export const webhooks = pgTable(
  'webhooks',
  {
    id: serial('id').primaryKey(),
    webhookId: uuid('webhook_id').notNull().defaultRandom(),
    companyId: companyRef(),
    customName: text('custom_name').notNull().default('Webhook'),
    url: text('url').notNull(),
    active: boolean('active').notNull().default(true),
    token: text('token').notNull(),
    /** Secret for our HMAC signature header (beyond Aircall's body token). */
    signingSecret: text('signing_secret').notNull(),
    /** Empty = every event. */
    events: jsonb('events').$type<string[]>().notNull().default([]),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    ...timestamps,
  },
  (t) => [uniqueIndex('webhooks_uuid_unique').on(t.webhookId), index('webhooks_company_idx').on(t.companyId)],
)

/**
 * Transactional outbox: a domain change and its event are written in one transaction, then
 * a relay turns each row into jobs (webhook deliveries, CRM syncs, ...). Nothing is lost if
 * the process dies between the commit and the enqueue.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ...companyScoped,
    event: text('event').notNull(),
    resource: text('resource').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    relayedAt: timestamp('relayed_at', { withTimezone: true }),
  },
  // The events not relayed yet, by company, oldest first: the relay takes each company's share.
  (t) => [index('outbox_pending_company_idx').on(t.companyId, t.id).where(sql`${t.relayedAt} is null`)],
)

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ...companyScoped,
    webhookId: integer('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    outboxId: bigint('outbox_id', { mode: 'number' }).notNull(),
    event: text('event').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    /**
     * When its job was added. Null: it waits in the company's backlog for room in the company's
     * window of queued deliveries (webhooks/delivery-window.ts).
     */
    queuedAt: timestamp('queued_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('webhook_deliveries_once').on(t.webhookId, t.outboxId),
    // A webhook's backlog, oldest first: what its window takes next.
    index('webhook_deliveries_backlog_idx')
      .on(t.webhookId, t.id)
      .where(sql`${t.status} = 'pending' and ${t.queuedAt} is null`),
    // A company's window, by webhook: queued deliveries not tried yet (a retry waits outside it).
    index('webhook_deliveries_window_idx')
      .on(t.companyId, t.webhookId)
      .where(sql`${t.status} = 'pending' and ${t.queuedAt} is not null and ${t.attempts} = 0`),
  ],
)

/** The embedded job driver's store (REDIS_URL unset). */
export const jobs = pgTable(
  'jobs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    queue: text('queue').notNull(),
    name: text('name').notNull(),
    data: jsonb('data').$type<unknown>().notNull(),
    /** Optional de-duplication key: a second add with the same key is a no-op. */
    jobKey: text('job_key'),
    state: text('state', { enum: ['waiting', 'active', 'completed', 'failed'] })
      .notNull()
      .default('waiting'),
    runAt: timestamp('run_at', { withTimezone: true }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(1),
    backoffMs: integer('backoff_ms').notNull().default(1000),
    /** Lease of the worker running it (real time): past it, the worker is presumed dead. */
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    /** Random token of the claim that holds the lease: a worker whose lease was taken over cannot finish the job. */
    lockedBy: text('locked_by'),
    /** Times the job was found with an expired lease (its worker died mid-run). */
    stalls: integer('stalls').notNull().default(0),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('jobs_due_idx').on(t.queue, t.state, t.runAt),
    // The claim's index: a queue's waiting and running jobs in run order. Completed jobs stay a
    // day (their keys de-duplicate) and would otherwise be read by every claim.
    index('jobs_pending_idx').on(t.queue, t.runAt, t.id).where(sql`${t.state} in ('waiting', 'active')`),
    uniqueIndex('jobs_key_unique').on(t.queue, t.jobKey),
  ],
)
