import { sql } from 'drizzle-orm'
import {
  bigint,
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
import { calls } from './calls.ts'
import { companyRef } from './companies.ts'
import { numbers } from './numbers.ts'

/** The apps a company can install: the CRMs (OAuth) and the weather app (no account). */
export const integrationKinds = ['hubspot', 'salesforce', 'zendesk', 'dynamics', 'weather'] as const
export type IntegrationKind = (typeof integrationKinds)[number]

/**
 * One installed integration of a company: a connection to one CRM account (a company may have
 * several of the same CRM, each with its own name), or the weather app. CRM tokens are sealed
 * (AES-256-GCM, services/integrations/token-vault.ts); `tokensVersion` is bumped by every token
 * write so a refresh that raced another one does not overwrite a newer set.
 */
export const integrations = pgTable(
  'integrations',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    kind: text('kind', { enum: integrationKinds }).notNull(),
    name: text('name').notNull(),
    /** Connected to the built-in sandbox CRM (loopback fakes) instead of the vendor. */
    sandbox: boolean('sandbox').notNull().default(false),
    /** Off: nothing is logged and no lookup is made (calls meanwhile are not back-filled). */
    active: boolean('active').notNull().default(true),
    /** pending: created, OAuth not finished; connected; reauth: the CRM refused the tokens. */
    status: text('status', { enum: ['pending', 'connected', 'reauth'] }).notNull(),
    /** The admin's choices (connectors' ConnectorSettings plus the hub's logging rules). */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
    /** The sealed TokenSet, null until connected. */
    tokens: text('tokens'),
    tokensVersion: integer('tokens_version').notNull().default(0),
    /** The CRM account the grant belongs to (HubSpot portal, Salesforce org, Zendesk subdomain). */
    accountId: text('account_id'),
    /** The account's API host where it is per account (Salesforce, Zendesk, Dynamics org URL). */
    instanceUrl: text('instance_url'),
    createdBy: integer('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    connectedAt: timestamp('connected_at', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    lastErrorAt: timestamp('last_error_at', { withTimezone: true }),
    lastError: text('last_error'),
    /** Set by a permanent error (403, validation, refused tokens); cleared by the next success. */
    unhealthySince: timestamp('unhealthy_since', { withTimezone: true }),
    /** When the company's admins were mailed about the current unhealthy spell (once per spell). */
    unhealthyMailedAt: timestamp('unhealthy_mailed_at', { withTimezone: true }),
  },
  (t) => [
    index('integrations_company_idx').on(t.companyId, t.id),
    uniqueIndex('integrations_company_name_unique').on(t.companyId, t.name),
  ],
)

/** The numbers whose calls an integration logs and looks up ("Intégrations liées"). */
export const integrationNumbers = pgTable(
  'integration_numbers',
  {
    integrationId: integer('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    numberId: integer('number_id')
      .notNull()
      .references(() => numbers.id, { onDelete: 'cascade' }),
    companyId: companyRef(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.integrationId, t.numberId] }),
    index('integration_numbers_number_idx').on(t.numberId),
  ],
)

/**
 * An OAuth authorization in flight: the `state` sent to the vendor (kept hashed) and the PKCE
 * verifier (sealed), valid for a few minutes and used once.
 */
export const integrationOauthStates = pgTable(
  'integration_oauth_states',
  {
    stateHash: text('state_hash').primaryKey(),
    companyId: companyRef(),
    integrationId: integer('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    userId: integer('user_id'),
    codeVerifier: text('code_verifier'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('integration_oauth_states_expiry_idx').on(t.expiresAt)],
)

/**
 * The sync ledger: what was written for one call in one integration's CRM. The sync job brings
 * the CRM's activity up to the call's current state; this row says how far it got.
 * - `activityId`: the CRM's id of the activity, once a write returned it.
 * - `writeStarted`: a create was sent whose answer was not seen (timeout, crash): the next try
 *   looks the activity up by the call's ref before creating one.
 * - `syncedVersion`: the call's `version` the activity reflects; `mediaSynced`: the recording /
 *   voicemail link is on it.
 */
export const callSyncs = pgTable(
  'call_syncs',
  {
    callId: bigint('call_id', { mode: 'number' })
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    integrationId: integer('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    companyId: companyRef(),
    state: text('state', { enum: ['pending', 'synced', 'failed', 'skipped'] }).notNull(),
    activityId: text('activity_id'),
    recordId: text('record_id'),
    recordType: text('record_type'),
    writeStarted: boolean('write_started').notNull().default(false),
    syncedVersion: integer('synced_version').notNull().default(0),
    /**
     * The call's `version` the latest trigger asked for: the row needs work while it is above
     * `syncedVersion` (a trigger during a run raises it, so the run leaves the row pending).
     */
    wantedVersion: integer('wanted_version').notNull().default(0),
    /** A sync run holds the row until then (a run that died lets go when it passes). */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    /** Not before then: the backoff after a retryable error, or the CRM's Retry-After. */
    retryAt: timestamp('retry_at', { withTimezone: true }),
    mediaSynced: boolean('media_synced').notNull().default(false),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Why the call is not logged, when skipped (inactive, outside business hours, call type off). */
    skipReason: text('skip_reason'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    syncedAt: timestamp('synced_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.callId, t.integrationId] }),
    index('call_syncs_integration_state_idx').on(t.integrationId, t.state),
    // The sync's claim walks an integration's pending rows in call order and stops at a round's
    // worth: without it, each round read and sorted the whole backlog.
    index('call_syncs_pending_idx').on(t.integrationId, t.callId).where(sql`${t.state} = 'pending'`),
  ],
)
