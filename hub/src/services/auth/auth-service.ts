import { and, asc, eq, isNotNull, sql } from 'drizzle-orm'
import type { Actor } from '../../core/actor.ts'
import type { Clock } from '../../core/clock.ts'
import { DomainError } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { companies, users, userTokens } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { passwordResetMail } from '../../mail/templates.ts'
import type { UserNumberJson } from '../numbers/number-json.ts'
import { toUserJson } from '../users/user-json.ts'
import { rememberAddress, signedInFrom } from './known-addresses.ts'
import { loginThrottleFor } from './login-throttle.ts'
import { withPasswordWork } from './password-gate.ts'
import { hashPassword, verifyPassword } from './secrets.ts'
import {
  consumeOneTimeToken,
  findOneTimeToken,
  issueOneTimeToken,
  issueUserToken,
  recentOneTimeToken,
  revokeAllCredentials,
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
  /** Identity of the app instance, for per-instance login throttling and password-work gate. */
  owner: object
  /** The client's address as counted by throttling (client-key.ts). */
  client: string
}

export const RESET_TTL_MS = 3_600_000
/** At most one reset mail per user per minute, however often "forgot password" is pressed. */
const RESET_MAIL_INTERVAL_MS = 60_000
/**
 * Accounts one email + password is checked against when no company_id is given (each check is
 * an argon2 verification), and accounts one "forgot password" mails.
 */
export const LOGIN_MAX_ACCOUNTS = 5
const RESET_MAX_ACCOUNTS = 10

export const resetLink = (base: string, token: string) =>
  `${base}/password/reset?token=${encodeURIComponent(token)}`

// Verifying against this when the email is unknown keeps both answers equally slow.
let decoyHash: Promise<string> | undefined
const decoy = () => {
  decoyHash ??= hashPassword('decoy password that never matches anything')
  return decoyHash
}

const invalidLogin = () => new DomainError('unauthorized', 'Invalid email or password')

const normalEmail = (email: string) => email.trim().toLowerCase()

/** Users with this email (any company, or the one given), oldest first. */
async function usersByEmail(
  db: Queryable,
  email: string,
  options: { companyId?: number; withPassword?: boolean; limit: number },
) {
  return db
    .select({ user: users, companyName: companies.name })
    .from(users)
    .innerJoin(companies, eq(companies.id, users.companyId))
    .where(
      and(
        sql`lower(${users.email}) = ${email}`,
        options.companyId === undefined ? undefined : eq(users.companyId, options.companyId),
        options.withPassword ? isNotNull(users.passwordHash) : undefined,
      ),
    )
    .orderBy(asc(users.id))
    .limit(options.limit)
}

async function startSession(
  deps: AuthDeps,
  db: Queryable,
  user: { companyId: number; id: number },
): Promise<{ token: string; expires_at: string }> {
  const { row, token } = await issueUserToken(db, deps.clock, {
    companyId: user.companyId,
    userId: user.id,
    kind: 'session',
    ttlHours: deps.env.SESSION_TTL_HOURS,
  })
  await rememberAddress(db, deps.clock, user, deps.client)
  return { token, expires_at: row.expiresAt!.toISOString() }
}

export type LoginResult =
  | {
      kind: 'session'
      session: { token: string; expires_at: string; user: ReturnType<typeof toUserJson<UserNumberJson>> }
    }
  | { kind: 'choice'; companies: { id: number; name: string }[] }

/**
 * Email + password (+ optional company_id) → a dashboard session. One address may be a user of
 * several companies: without company_id the password is checked against each of its accounts
 * (at most LOGIN_MAX_ACCOUNTS); when it opens several, the answer lists those companies, and
 * only those, for the client to send company_id. Unknown email, no password yet and a wrong
 * password all answer the same 401 after the same argon2 work, so the answer does not tell which.
 */
export async function login(
  deps: AuthDeps,
  input: { email: string; password: string; company_id?: number },
): Promise<LoginResult> {
  const email = normalEmail(input.email)
  const throttle = loginThrottleFor(deps.owner)
  throttle.checkAddress(deps.client, email, deps.clock.now())
  const matches = await withPasswordWork(deps.owner, deps.client, async () => {
    const accounts = await usersByEmail(deps.db, email, {
      companyId: input.company_id,
      withPassword: true,
      limit: LOGIN_MAX_ACCOUNTS,
    })
    const ids = accounts.map((a) => a.user.id)
    if (!(await signedInFrom(deps.db, deps.clock, ids, deps.client))) {
      throttle.checkEmailFromNewAddress(email, deps.clock.now())
    }
    if (accounts.length === 0) {
      await verifyPassword(await decoy(), input.password)
      return []
    }
    const ok: typeof accounts = []
    for (const account of accounts) {
      if (await verifyPassword(account.user.passwordHash!, input.password)) ok.push(account)
    }
    return ok
  })
  if (matches.length === 0) {
    throttle.fail(deps.client, email, deps.clock.now())
    throw invalidLogin()
  }
  throttle.succeed(deps.client, email)
  if (matches.length > 1) {
    for (const m of matches) await rememberAddress(deps.db, deps.clock, m.user, deps.client)
    return { kind: 'choice', companies: matches.map((m) => ({ id: m.user.companyId, name: m.companyName })) }
  }
  const user = matches[0]!.user
  const session = await startSession(deps, deps.db, user)
  return {
    kind: 'session',
    session: { ...session, user: toUserJson<UserNumberJson>(user, deps.links, deps.clock.now()) },
  }
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
  const passwordHash = await withPasswordWork(deps.owner, deps.client, () => hashPassword(input.password))
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
    return { ...session, user: toUserJson<UserNumberJson>(user, deps.links, now) }
  })
}

/**
 * Mails a single-use reset link (valid 1 h) to each account with this email: one address may
 * be a user of several companies, and each mail names its company. The caller answers 202
 * either way, and the mails leave in the background so the response time does not depend on
 * whether the email exists.
 */
export async function forgotPassword(deps: AuthDeps, email: string): Promise<void> {
  const accounts = await usersByEmail(deps.db, normalEmail(email), { limit: RESET_MAX_ACCOUNTS })
  for (const { user, companyName } of accounts) {
    const now = deps.clock.now()
    const recent = await recentOneTimeToken(deps.db, {
      userId: user.id,
      purpose: 'password_reset',
      since: new Date(now.getTime() - RESET_MAIL_INTERVAL_MS),
    })
    if (recent) continue
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
      companyName,
      link: resetLink(deps.mailBase, token),
    })
    deps.mailer.send(message).catch((err: unknown) => {
      deps.log.error({ err, user_id: user.id }, 'password reset mail could not be sent')
    })
  }
}

/**
 * Sets a new password from a reset link and opens a new session. Whoever knew the old password
 * may have used it to open sessions and mint agent tokens: every one of them is revoked, with
 * the user's other unused links.
 */
export async function resetPassword(deps: AuthDeps, input: { token: string; password: string }) {
  await findOneTimeToken(deps.db, deps.clock, 'password_reset', input.token)
  const passwordHash = await withPasswordWork(deps.owner, deps.client, () => hashPassword(input.password))
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
    await revokeAllCredentials(tx, deps.clock, { companyId: user.companyId, userId: user.id })
    const session = await startSession(deps, tx, user)
    return { ...session, user: toUserJson<UserNumberJson>(user, deps.links, now) }
  })
}
