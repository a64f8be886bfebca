import { normalizePhone } from '@switchboard/shared'
import { and, count, eq, inArray, isNotNull, ne, sql } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { uniqueViolation } from '../../core/postgres-errors.ts'
import type { Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { companies, teamMembers, teams, users } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import { loadLiveStates } from '../../telephony/engine/live-state.ts'
import type { AgentChannel } from '../../telephony/engine/ports.ts'
import { invalidateCredentials } from '../auth/credential-cache.ts'
import { revokeAllCredentials, revokeUserTokens } from '../auth/user-tokens.ts'
import type { ServiceContext } from '../context.ts'
import { detachFromNumbers, lockRoutingGraph } from '../numbers/number-references.ts'
import { numberIdsOfUser, numbersOfUsers } from '../numbers/user-numbers.ts'
import { openingEvents, presenceEvents, recordUserEvents } from './agent-presence.ts'
import { liveAvailability } from './availability.ts'
import { issueInvitationToken, type MailDeps, sendInvitationMail } from './invitations.ts'
import {
  type CreateUserInput,
  DEFAULT_NOTIFICATION_PREFS,
  DEFAULT_WORKING_HOURS,
  type LiveAvailability,
  type UpdateUserInput,
} from './user-fields.ts'
import { defaultNumberOf, toUserJson, type UserRow } from './user-json.ts'
import { findUser } from './user-lookup.ts'
import { checkNumberPrefs } from './user-number-prefs.ts'
import { matchesSearch } from './user-search.ts'

const emailTaken = () =>
  new DomainError('conflict', 'email: a user with this email address already exists', {
    field: 'email',
    details: [{ field: 'email', message: 'a user with this email address already exists' }],
  })
const extensionTaken = () => badRequest('extension', 'already used by another user of the company')

/** E.164 forwarding numbers; national formats are read with the user's default country. */
function normaliseForwarding(numbers: string[], defaultCountry: string | null): string[] {
  const out = numbers.map((raw, i) => {
    const n = normalizePhone(raw, defaultCountry ?? undefined)
    if (!n) throw badRequest(`forwarding_numbers.${i}`, `"${raw}" is not a valid phone number`)
    return n.e164
  })
  return [...new Set(out)]
}

/**
 * Emails are unique within a company only: another company's users are none of this one's
 * business (it must neither learn that an address is used elsewhere nor block it there).
 */
async function assertEmailFree(db: Queryable, companyId: number, email: string, exceptUserId?: number) {
  const [taken] = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.companyId, companyId),
        sql`lower(${users.email}) = ${email}`,
        exceptUserId ? ne(users.id, exceptUserId) : undefined,
      ),
    )
    .limit(1)
  if (taken) throw emailTaken()
}

/** The invitation's teams: each must be a team of the company (400 naming the entry otherwise). */
async function addToTeams(db: Queryable, ctx: ServiceContext, userId: number, teamIds: number[]) {
  const wanted = [...new Set(teamIds)]
  if (wanted.length === 0) return
  const found = await db
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.companyId, ctx.companyId), inArray(teams.id, wanted)))
  const known = new Set(found.map((t) => t.id))
  const missing = teamIds.findIndex((id) => !known.has(id))
  if (missing >= 0) throw badRequest(`team_ids.${missing}`, `team ${teamIds[missing]} does not exist`)
  const createdAt = ctx.clock.now()
  await db
    .insert(teamMembers)
    .values(wanted.map((teamId) => ({ companyId: ctx.companyId, teamId, userId, createdAt })))
}

async function assertExtensionFree(
  db: Queryable,
  companyId: number,
  extension: string,
  exceptUserId?: number,
) {
  const [taken] = await db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.companyId, companyId),
        eq(users.extension, extension),
        exceptUserId ? ne(users.id, exceptUserId) : undefined,
      ),
    )
    .limit(1)
  if (taken) throw extensionTaken()
}

/** Namespace of the advisory lock below (any constant unique within this app). */
const EXTENSION_LOCK_NAMESPACE = 0x5b0b

/**
 * Serialises, per company, the creations that pick an extension: without it, concurrent
 * creations read the same free extension and all but one fail on the unique index (seen on
 * PostgreSQL: hundreds of failures creating 200 users 10 at a time). Taken after the routing
 * lock when both are held, so the order is always the same. Released at commit or rollback.
 */
async function lockExtensionPick(tx: Queryable, companyId: number): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${EXTENSION_LOCK_NAMESPACE}, ${companyId})`)
}

/** Lowest free 3-digit extension from 100, or null when all 900 are taken. */
async function nextFreeExtension(db: Queryable, companyId: number): Promise<string | null> {
  const rows = await db
    .select({ extension: users.extension })
    .from(users)
    .where(and(eq(users.companyId, companyId), isNotNull(users.extension)))
  const used = new Set(rows.map((r) => r.extension))
  for (let n = 100; n <= 999; n++) if (!used.has(String(n))) return String(n)
  return null
}

/**
 * A company keeps at least one admin. The company row is locked first so two concurrent
 * demotions or deletions of its last two admins cannot both pass the check.
 */
async function assertAnotherAdmin(db: Queryable, companyId: number, userId: number, field?: string) {
  await db.select({ id: companies.id }).from(companies).where(eq(companies.id, companyId)).for('update')
  const [other] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.companyId, companyId), eq(users.role, 'admin'), ne(users.id, userId)))
    .limit(1)
  if (!other) {
    const message = 'this is the last admin of the company; make another user admin first'
    throw new DomainError('not_allowed', field ? `${field}: ${message}` : `User: ${message}`, {
      field,
      details: field ? [{ field, message }] : undefined,
    })
  }
}

/** A page of the company's users (created_at order, from/to and search filters) and their total. */
async function pageOfUsers(ctx: ServiceContext, q: PaginationQuery & { search?: string }) {
  const { offset, limit } = pageWindow(q)
  const where = and(
    eq(users.companyId, ctx.companyId),
    timeRange(users.createdAt, q),
    matchesSearch(q.search, [users.firstName, users.lastName, users.email]),
  )
  const rows = await ctx.db
    .select()
    .from(users)
    .where(where)
    .orderBy(...orderBy(users.createdAt, q, users.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(users).where(where)
  return { rows, total: total?.n ?? 0 }
}

/** Users as the API returns them, each with the numbers they are assigned to. */
async function usersJson(db: Queryable, ctx: ServiceContext, rows: UserRow[]) {
  const now = ctx.clock.now()
  const numbers = await numbersOfUsers(
    db,
    ctx.companyId,
    ctx.links,
    now,
    rows.map((u) => u.id),
  )
  return rows.map((u) => toUserJson(u, ctx.links, now, numbers.get(u.id), numbers.lines.get(u.id)))
}

async function userJson(db: Queryable, ctx: ServiceContext, row: UserRow) {
  const [json] = await usersJson(db, ctx, [row])
  return json!
}

export async function listUsers(ctx: ServiceContext, q: PaginationQuery & { search?: string }) {
  const { rows, total } = await pageOfUsers(ctx, q)
  return { items: await usersJson(ctx.db, ctx, rows), total }
}

/** Admins and API keys read any user of the company; an agent only themselves. */
export async function getUser(ctx: ServiceContext, idOrEmail: string) {
  const user = await findUser(ctx.db, ctx, idOrEmail)
  if (ctx.actor.type === 'user' && ctx.actor.role !== 'admin' && ctx.actor.userId !== user.id) {
    throw new DomainError('forbidden', 'Agents can only read their own user')
  }
  return userJson(ctx.db, ctx, user)
}

export async function getMe(ctx: ServiceContext) {
  if (ctx.actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  return userJson(ctx.db, ctx, await findUser(ctx.db, ctx, String(ctx.actor.userId)))
}

/**
 * Creates the user and mails them a single-use invitation link (valid INVITATION_TTL_HOURS)
 * to choose their password. user.created is recorded in the same transaction.
 */
export async function createUser(ctx: ServiceContext, input: CreateUserInput, deps: MailDeps) {
  const now = ctx.clock.now()
  const forwardingNumbers = normaliseForwarding(
    input.forwarding_numbers ?? [],
    input.default_country_prefix ?? null,
  )
  // An auto-assigned extension can still lose to a concurrent create that named the same one
  // explicitly (it takes no lock): pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      const created = await ctx.db.transaction(async (tx) => {
        await assertEmailFree(tx, ctx.companyId, input.email)
        if (input.caller_id_number_id != null || input.default_number_id != null) {
          await lockRoutingGraph(tx, ctx.companyId)
        }
        if (input.extension) await assertExtensionFree(tx, ctx.companyId, input.extension)
        await checkNumberPrefs(tx, ctx.companyId, null, input)
        if (input.extension === undefined) await lockExtensionPick(tx, ctx.companyId)
        const extension =
          input.extension === undefined ? await nextFreeExtension(tx, ctx.companyId) : input.extension
        const [row] = await tx
          .insert(users)
          .values({
            companyId: ctx.companyId,
            email: input.email,
            firstName: input.first_name ?? '',
            lastName: input.last_name ?? '',
            role: input.is_admin ? 'admin' : 'agent',
            availabilityStatus: input.availability_status ?? 'available',
            timeZone: input.time_zone ?? 'Etc/UTC',
            language: input.language ?? 'en-US',
            wrapUpTime: input.wrap_up_time ?? 0,
            extension,
            workingHours: input.working_hours ?? DEFAULT_WORKING_HOURS,
            forwardingNumbers,
            callerIdNumberId: input.caller_id_number_id ?? null,
            defaultNumberId: input.default_number_id ?? null,
            defaultCountryPrefix: input.default_country_prefix ?? null,
            ringtone: input.ringtone ?? 'classic',
            notificationPrefs: { ...DEFAULT_NOTIFICATION_PREFS, ...input.notification_prefs },
            createdAt: now,
            updatedAt: now,
          })
          .returning()
        const user = row!
        await addToTeams(tx, ctx, user.id, input.team_ids ?? [])
        const token = await issueInvitationToken(tx, ctx, user.id, deps.env.INVITATION_TTL_HOURS)
        const json = toUserJson(user, ctx.links, now)
        await recordEvent(tx, ctx.clock, ctx.companyId, 'user.created', json)
        // Created with external forwarding on: online from the start, as if turned on just after.
        await recordUserEvents(tx, ctx, user, presenceEvents({ ...user, forwardingNumbers: [] }, user, now))
        return { user, token, json }
      })
      await sendInvitationMail(ctx, deps, created.user, created.token)
      return created.json
    } catch (err) {
      const constraint = uniqueViolation(err)
      if (constraint === 'users_company_email_unique') throw emailTaken()
      if (constraint === 'users_company_extension_unique') {
        if (input.extension === undefined && attempt < 3) continue
        throw extensionTaken()
      }
      throw err
    }
  }
}

/**
 * Updates the user. Credentials issued under what changes stop working: a new email revokes
 * the user's sessions, agent tokens and mailed links (a pending invitation is sent again, to
 * the new address); a demotion revokes their sessions and agent tokens. A user changing
 * themselves keeps the session of the request.
 */
export async function updateUser(
  ctx: ServiceContext,
  idOrEmail: string,
  input: UpdateUserInput,
  deps: MailDeps,
) {
  const now = ctx.clock.now()
  try {
    const { updated, invitation } = await ctx.db.transaction(async (tx) => {
      let key = idOrEmail
      if (input.caller_id_number_id != null || input.default_number_id != null) {
        // The routing lock, then numbers, then the user row: deleteNumber's order (no deadlock),
        // and the number cannot be released between this check and the commit.
        await lockRoutingGraph(tx, ctx.companyId)
        const target = await findUser(tx, ctx, idOrEmail)
        await checkNumberPrefs(tx, ctx.companyId, target.id, input)
        key = String(target.id)
      }
      const user = await findUser(tx, ctx, key, { forUpdate: true })
      const self = ctx.actor.type === 'user' && ctx.actor.userId === user.id ? ctx.actor.tokenId : undefined
      const scope = { companyId: ctx.companyId, userId: user.id, keepTokenId: self }
      let invitation: string | null = null
      if (input.email !== undefined && input.email !== user.email.toLowerCase()) {
        await assertEmailFree(tx, ctx.companyId, input.email, user.id)
        // Links mailed to the old address (a typo, a former mailbox) must not set the
        // password of the account now known by the new one, nor may whoever held the old
        // mailbox stay signed in.
        await revokeAllCredentials(tx, ctx.clock, scope)
        if (!user.invitationAcceptedAt) {
          invitation = await issueInvitationToken(tx, ctx, user.id, deps.env.INVITATION_TTL_HOURS)
        }
      }
      if (input.extension && input.extension !== user.extension) {
        await assertExtensionFree(tx, ctx.companyId, input.extension, user.id)
      }
      if (input.is_admin === false && user.role === 'admin') {
        await assertAnotherAdmin(tx, ctx.companyId, user.id, 'is_admin')
        // Whatever was opened with admin rights (an agent token in a shared browser) goes.
        await revokeUserTokens(tx, ctx.clock, scope)
      }
      const defaultCountry =
        input.default_country_prefix !== undefined ? input.default_country_prefix : user.defaultCountryPrefix
      const statusChanged =
        input.availability_status !== undefined && input.availability_status !== user.availabilityStatus
      const [row] = await tx
        .update(users)
        .set({
          email: input.email,
          firstName: input.first_name,
          lastName: input.last_name,
          role: input.is_admin === undefined ? undefined : input.is_admin ? 'admin' : 'agent',
          availabilityStatus: input.availability_status,
          // A reason set with the old setting ("Out for lunch") does not survive a new one.
          substatus: statusChanged ? null : undefined,
          timeZone: input.time_zone,
          language: input.language,
          wrapUpTime: input.wrap_up_time,
          extension: input.extension,
          workingHours: input.working_hours,
          forwardingNumbers:
            input.forwarding_numbers === undefined
              ? undefined
              : normaliseForwarding(input.forwarding_numbers, defaultCountry),
          callerIdNumberId: input.caller_id_number_id,
          defaultNumberId: input.default_number_id,
          defaultCountryPrefix: input.default_country_prefix,
          ringtone: input.ringtone,
          notificationPrefs:
            input.notification_prefs === undefined
              ? undefined
              : { ...DEFAULT_NOTIFICATION_PREFS, ...user.notificationPrefs, ...input.notification_prefs },
          updatedAt: now,
        })
        .where(and(eq(users.companyId, ctx.companyId), eq(users.id, user.id)))
        .returning()
      // Tokens carry the role: a promoted or demoted user's next request is verified anew.
      if (row!.role !== user.role) invalidateCredentials({ companyId: ctx.companyId, userId: user.id })
      // A new setting can open or close an online user (user.opened / user.closed); external
      // forwarding turned on or off, with no client connected, brings them online or offline
      // (user.connected / user.disconnected). Under the row's lock, as the realtime channel's
      // changes: whichever comes second sees the user already online, or still online.
      await recordUserEvents(tx, ctx, row!, presenceEvents(user, row!, now))
      return { updated: row!, invitation }
    })
    if (invitation) await sendInvitationMail(ctx, deps, updated, invitation)
    return await userJson(ctx.db, ctx, updated)
  } catch (err) {
    const constraint = uniqueViolation(err)
    if (constraint === 'users_company_email_unique') throw emailTaken()
    if (constraint === 'users_company_extension_unique') throw extensionTaken()
    throw err
  }
}

/**
 * Deletes the user and, by cascade, everything that is theirs: sessions, agent tokens,
 * pending links, team memberships. The last admin of a company cannot be deleted.
 */
export async function deleteUser(ctx: ServiceContext, idOrEmail: string) {
  await ctx.db.transaction(async (tx) => {
    await lockRoutingGraph(tx, ctx.companyId)
    const user = await findUser(tx, ctx, idOrEmail, { forUpdate: true })
    if (user.role === 'admin') await assertAnotherAdmin(tx, ctx.companyId, user.id)
    const json = await userJson(tx, ctx, user)
    // Numbers that routed to the user stop doing so in the same transaction (documented choice:
    // clean up rather than refuse; GET /v1/numbers/references lists them beforehand).
    await detachFromNumbers(tx, ctx, { userId: user.id })
    await tx.delete(users).where(and(eq(users.companyId, ctx.companyId), eq(users.id, user.id)))
    // Their tokens go with them (cascade): none may be served from the credential cache.
    invalidateCredentials({ companyId: ctx.companyId, userId: user.id })
    await recordEvent(tx, ctx.clock, ctx.companyId, 'user.deleted', json)
  })
}

/**
 * Live availability with the calls taken into account: a user in a call is `in_call`, and one in
 * after-call work (their wrap-up time, or a mandatory tag still to give) is `after_call_work`,
 * whatever their apps set; both are derived from the calls (telephony/engine/live-state.ts).
 */
export async function availabilitiesOf(
  ctx: ServiceContext,
  rows: UserRow[],
): Promise<Map<number, LiveAvailability>> {
  const now = ctx.clock.now()
  const live = await loadLiveStates(
    ctx.db,
    ctx.companyId,
    now.getTime(),
    new Map(rows.map((u) => [u.id, u.wrapUpTime])),
  )
  return new Map(
    rows.map((u) => {
      const state = live.get(u.id)?.live
      if (state === 'in_call') return [u.id, 'in_call']
      if (state === 'after_call_work' || state === 'pending_tag') return [u.id, 'after_call_work']
      return [u.id, liveAvailability(u, now)]
    }),
  )
}

export async function listAvailabilities(ctx: ServiceContext, q: PaginationQuery) {
  const { rows, total } = await pageOfUsers(ctx, q)
  const availability = await availabilitiesOf(ctx, rows)
  return { items: rows.map((u) => ({ id: u.id, availability: availability.get(u.id)! })), total }
}

export async function getAvailability(ctx: ServiceContext, idOrEmail: string): Promise<LiveAvailability> {
  const user = await findUser(ctx.db, ctx, idOrEmail)
  return (await availabilitiesOf(ctx, [user])).get(user.id)!
}

/**
 * The agent's own live state from their apps. in_call and after_call_work belong to the call
 * engine; during a call the agent cannot change it (405), after it they may end wrap-up early.
 */
export async function setOwnPresence(
  ctx: ServiceContext,
  presence: 'available' | 'do_not_disturb' | 'offline',
): Promise<LiveAvailability> {
  if (ctx.actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  const userId = ctx.actor.userId
  const row: UserRow = await ctx.db.transaction(async (tx) => {
    const user = await findUser(tx, ctx, String(userId), { forUpdate: true })
    if (user.presence === 'in_call') {
      throw new DomainError('not_allowed', 'availability: cannot be changed during a call', {
        field: 'availability',
      })
    }
    const now = ctx.clock.now()
    const [updated] = await tx
      .update(users)
      // DND is kept apart from the live presence: it holds while offline (agent-presence.ts).
      .set({
        presence,
        ...(presence === 'offline' ? {} : { doNotDisturb: presence === 'do_not_disturb' }),
        updatedAt: now,
      })
      .where(and(eq(users.companyId, ctx.companyId), eq(users.id, userId)))
      .returning()
    await recordUserEvents(tx, ctx, updated!, openingEvents(user, updated!, now))
    return updated!
  })
  return liveAvailability(row, ctx.clock.now())
}

/**
 * POST /v1/users/:id/dial: pre-fills the user's dialer with `to` on their connected clients
 * (the realtime channel's `dial` frame), with their default number. As Aircall: 405 when the
 * user is not available to call (no client open, external forwarding included, do not
 * disturb, in a call or in after-call work). Admins and API keys may ask it of any user of the
 * company, an agent of themselves.
 */
export async function dialUser(
  ctx: ServiceContext,
  deps: { agentChannel: AgentChannel },
  idOrEmail: string,
  input: { to: string },
): Promise<void> {
  const user = await findUser(ctx.db, ctx, idOrEmail)
  if (ctx.actor.type === 'user' && ctx.actor.role !== 'admin' && ctx.actor.userId !== user.id) {
    throw new DomainError('forbidden', 'Agents can only dial for themselves')
  }
  const to = normalizePhone(input.to, user.defaultCountryPrefix ?? undefined)
  if (!to) throw badRequest('to', 'must be a phone number, e.g. +33 1 23 45 67 89')
  const availability = (await availabilitiesOf(ctx, [user])).get(user.id)
  if (availability !== 'available') {
    throw new DomainError('not_allowed', `The user is not available to call (${availability})`)
  }
  // Online by their external phone only (forwarding): no dialer to pre-fill.
  if (user.presence === 'offline') {
    throw new DomainError('not_allowed', 'The user has no app open to pre-fill (external forwarding only)')
  }
  const lines =
    user.defaultNumberId === null
      ? []
      : await numberIdsOfUser(ctx.db, ctx.companyId, user.id, { callable: true })
  deps.agentChannel.send(ctx.companyId, [user.id], {
    type: 'dial',
    to: to.e164,
    number_id: defaultNumberOf(user.defaultNumberId, lines),
  })
}
