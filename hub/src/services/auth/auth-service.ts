import { and, eq, sql } from 'drizzle-orm'
import type { Actor } from '../../core/actor.ts'
import type { Clock } from '../../core/clock.ts'
import { DomainError } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { users, userTokens } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { passwordResetMail } from '../../mail/templates.ts'
import { toUserJson } from '../users/user-json.ts'
import { loginThrottleFor } from './login-throttle.ts'
import { hashPassword, verifyPassword } from './secrets.ts'
import {
  consumeOneTimeToken,
  findOneTimeToken,
  issueOneTimeToken,
  issueUserToken,
  recentOneTimeToken,
  retireOneTimeTokens,
  revokeUserTokens,
} from './user-tokens.ts'

/** The public auth flows run before anyone is authenticated: they get the app's deps, not a ServiceContext. */
export type AuthDeps = {
  db: Database
  clock: Clock
  env: Pick<Env, 'SESSION_TTL_HOURS'>
  mailer: Mailer
  log: Logger
  /** direct_link values in answers (may follow the request's own origin). */
  links: Links
  /**
   * Absolute base of links mailed by the unauthenticated flows (password reset): PUBLIC_URL,
   * else this hub on localhost. Never the request's Host header, which whoever asks for the
   * mail chooses: it would send a victim's working reset token to the attacker's host.
   */
  mailBase: string
  /** Identity of the app instance, for per-instance login throttling. */
  owner: object
}

export const RESET_TTL_MS = 3_600_000
/** At most one reset mail per user per minute, however often "forgot password" is pressed. */
const RESET_MAIL_INTERVAL_MS = 60_000

export const resetLink = (base: string, token: string) =>
  `${base}/password/reset?token=${encodeURIComponent(token)}`

// Verifying against this when the email is unknown keeps both answers equally slow.
let decoyHash: Promise<string> | undefined
const decoy = () => {
  decoyHash ??= hashPassword('decoy password that never matches anything')
  return decoyHash
}

const invalidLogin = () => new DomainError('unauthorized', 'Invalid email or password')

async function userByEmail(db: Database, email: string) {
  const [user] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`)
    .limit(1)
  return user
}

async function startSession(deps: AuthDeps, db: Queryable, user: { companyId: number; id: number }) {
  const { row, token } = await issueUserToken(db, deps.clock, {
    companyId: user.companyId,
    userId: user.id,
    kind: 'session',
    ttlHours: deps.env.SESSION_TTL_HOURS,
  })
  return { token, expires_at: row.expiresAt!.toISOString() }
}

/**
 * Email + password → a dashboard session. Unknown email, no password yet and a wrong password
 * all answer the same 401 after the same argon2 work, so the answer does not tell which.
 */
export async function login(deps: AuthDeps, input: { email: string; password: string }) {
  const key = input.email.trim().toLowerCase()
  const throttle = loginThrottleFor(deps.owner)
  throttle.check(key, deps.clock.now())
  const user = await userByEmail(deps.db, key)
  const ok = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : (await verifyPassword(await decoy(), input.password)) && false
  if (!user || !ok) {
    throttle.fail(key, deps.clock.now())
    throw invalidLogin()
  }
  throttle.reset(key)
  const session = await startSession(deps, deps.db, user)
  return { ...session, user: toUserJson(user, deps.links, deps.clock.now()) }
}

/** Revokes the bearer token the request came with (a session, or an agent token signing out). */
export async function logout(deps: Pick<AuthDeps, 'db' | 'clock'>, actor: Actor) {
  if (actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  const now = deps.clock.now()
  await deps.db
    .update(userTokens)
    .set({ revokedAt: now, updatedAt: now })
    .where(
      and(
        eq(userTokens.companyId, actor.companyId),
        eq(userTokens.userId, actor.userId),
        eq(userTokens.id, actor.tokenId),
      ),
    )
}

/**
 * The invitation link's landing: sets the password (and optionally the name), marks the
 * invitation accepted and opens a session. The link works once, until it expires.
 */
export async function acceptInvitation(
  deps: AuthDeps,
  input: { token: string; password: string; first_name?: string; last_name?: string },
) {
  // Check the link before spending argon2 time on it; consume it atomically below.
  await findOneTimeToken(deps.db, deps.clock, 'invitation', input.token)
  const passwordHash = await hashPassword(input.password)
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const link = await consumeOneTimeToken(tx, deps.clock, 'invitation', input.token)
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        firstName: input.first_name,
        lastName: input.last_name,
        invitationAcceptedAt: now,
        updatedAt: now,
      })
      .where(and(eq(users.companyId, link.companyId), eq(users.id, link.userId)))
      .returning()
    if (!user) throw new DomainError('bad_request', 'token: this invitation is not valid', { field: 'token' })
    const session = await startSession(deps, tx, user)
    return { ...session, user: toUserJson(user, deps.links, now) }
  })
}

/**
 * Mails a single-use reset link (valid 1 h) when the email belongs to a user. The caller
 * answers 202 either way, and the mail leaves in the background so the response time does
 * not depend on whether the email exists.
 */
export async function forgotPassword(deps: AuthDeps, email: string): Promise<void> {
  const user = await userByEmail(deps.db, email)
  if (!user) return
  const now = deps.clock.now()
  const recent = await recentOneTimeToken(deps.db, {
    userId: user.id,
    purpose: 'password_reset',
    since: new Date(now.getTime() - RESET_MAIL_INTERVAL_MS),
  })
  if (recent) return
  const token = await deps.db.transaction((tx) =>
    issueOneTimeToken(tx, deps.clock, {
      companyId: user.companyId,
      userId: user.id,
      purpose: 'password_reset',
      ttlMs: RESET_TTL_MS,
    }),
  )
  const message = passwordResetMail({
    to: user.email,
    language: user.language,
    link: resetLink(deps.mailBase, token),
  })
  deps.mailer.send(message).catch((err: unknown) => {
    deps.log.error({ err, user_id: user.id }, 'password reset mail could not be sent')
  })
}

/**
 * Sets a new password from a reset link, signs every existing dashboard session out and
 * opens a new one. The link works once, for an hour.
 */
export async function resetPassword(deps: AuthDeps, input: { token: string; password: string }) {
  await findOneTimeToken(deps.db, deps.clock, 'password_reset', input.token)
  const passwordHash = await hashPassword(input.password)
  const now = deps.clock.now()
  return deps.db.transaction(async (tx) => {
    const link = await consumeOneTimeToken(tx, deps.clock, 'password_reset', input.token)
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        // The reset mail proved the mailbox, which is all an invitation proves.
        invitationAcceptedAt: sql`coalesce(${users.invitationAcceptedAt}, ${now.toISOString()}::timestamptz)`,
        updatedAt: now,
      })
      .where(and(eq(users.companyId, link.companyId), eq(users.id, link.userId)))
      .returning()
    if (!user)
      throw new DomainError('bad_request', 'token: this password reset link is not valid', { field: 'token' })
    await revokeUserTokens(tx, deps.clock, { companyId: user.companyId, userId: user.id, kind: 'session' })
    await retireOneTimeTokens(tx, deps.clock, {
      companyId: user.companyId,
      userId: user.id,
      purpose: 'invitation',
    })
    const session = await startSession(deps, tx, user)
    return { ...session, user: toUserJson(user, deps.links, now) }
  })
}
