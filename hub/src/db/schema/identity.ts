import { sql } from 'drizzle-orm'
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { companyScoped, timestamps } from './columns.ts'
import { companyRef } from './companies.ts'

export type WorkingHours = Record<
  'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday',
  { from: string; to: string }[]
>
export type NotificationPrefs = {
  voicemail_email: boolean
  assigned_call_email: boolean
  daily_summary: boolean
}

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    email: text('email').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ['admin', 'agent'] })
      .notNull()
      .default('agent'),
    language: text('language').notNull().default('en-US'),
    timeZone: text('time_zone').notNull().default('Etc/UTC'),
    extension: text('extension'),
    /** The admin setting: always available, auto by working hours ("custom"), or unavailable. */
    availabilityStatus: text('availability_status', { enum: ['available', 'custom', 'unavailable'] })
      .notNull()
      .default('available'),
    substatus: text('substatus'),
    workingHours: jsonb('working_hours').$type<WorkingHours | null>(),
    /** Live state, set by the agent's apps and the call engine. */
    presence: text('presence', {
      enum: ['available', 'offline', 'do_not_disturb', 'in_call', 'after_call_work'],
    })
      .notNull()
      .default('offline'),
    /**
     * Do not disturb, as the agent declared it: kept while they are offline (presence says
     * `offline` then) and across restarts, so they come back in DND and the router never rings
     * them meanwhile (a simulated device included). `presence` is `do_not_disturb` exactly
     * when this is set and they are online.
     */
    doNotDisturb: boolean('do_not_disturb').notNull().default(false),
    forwardingNumbers: jsonb('forwarding_numbers').$type<string[]>().notNull().default([]),
    callerIdNumberId: integer('caller_id_number_id'),
    defaultNumberId: integer('default_number_id'),
    defaultCountryPrefix: text('default_country_prefix'),
    ringtone: text('ringtone').notNull().default('classic'),
    wrapUpTime: integer('wrap_up_time').notNull().default(0),
    notificationPrefs: jsonb('notification_prefs')
      .$type<NotificationPrefs>()
      .notNull()
      .default({ voicemail_email: true, assigned_call_email: false, daily_summary: false }),
    invitationAcceptedAt: timestamp('invitation_accepted_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [
    // Identity is per company: the same address may be a user of several companies, and no
    // company can learn of (or squat) an address another one uses. Login resolves the company.
    uniqueIndex('users_company_email_unique').on(t.companyId, sql`lower(${t.email})`),
    index('users_email_idx').on(sql`lower(${t.email})`),
    uniqueIndex('users_company_extension_unique').on(t.companyId, t.extension),
    index('users_company_idx').on(t.companyId, t.createdAt),
  ],
)

export const apiKeys = pgTable(
  'api_keys',
  {
    id: serial('id').primaryKey(),
    ...companyScoped,
    apiId: text('api_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    name: text('name').notNull().default('API key'),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('api_keys_api_id_unique').on(t.apiId), index('api_keys_company_idx').on(t.companyId)],
)

/** Dashboard sessions and long-lived agent tokens (extension); only the SHA-256 is stored. */
export const userTokens = pgTable(
  'user_tokens',
  {
    id: serial('id').primaryKey(),
    ...companyScoped,
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['session', 'agent'] }).notNull(),
    name: text('name'),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('user_tokens_hash_unique').on(t.tokenHash), index('user_tokens_user_idx').on(t.userId)],
)

/** Single-use links sent by email: invitations and password resets. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    id: serial('id').primaryKey(),
    ...companyScoped,
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['invitation', 'password_reset'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex('one_time_tokens_hash_unique').on(t.tokenHash)],
)

/**
 * Client addresses (IPv4, or the /64 of an IPv6 address, as a SHA-256) from which a user
 * signed in. Logins from these addresses skip the per-account lock-out that protects an
 * account against guessing from many addresses (services/auth/login-throttle.ts), so an
 * attacker cannot lock a user out of the places they usually sign in from.
 */
export const loginAddresses = pgTable(
  'login_addresses',
  {
    ...companyScoped,
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addressHash: text('address_hash').notNull(),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }).notNull(),
  },
  (t) => [uniqueIndex('login_addresses_user_address_unique').on(t.userId, t.addressHash)],
)

export const teams = pgTable(
  'teams',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    name: text('name').notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex('teams_company_name_unique').on(t.companyId, sql`lower(${t.name})`)],
)

export const teamMembers = pgTable(
  'team_members',
  {
    ...companyScoped,
    teamId: integer('team_id')
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('team_members_pk').on(t.teamId, t.userId), index('team_members_user_idx').on(t.userId)],
)
