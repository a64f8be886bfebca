import { and, eq } from 'drizzle-orm'
import { DomainError } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Logger } from '../../core/logger.ts'
import type { Queryable } from '../../db/client.ts'
import { companies, users } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { invitationMail } from '../../mail/templates.ts'
import { issueOneTimeToken } from '../auth/user-tokens.ts'
import type { ServiceContext } from '../context.ts'
import { fullName, type UserRow } from './user-json.ts'
import { findUser } from './user-lookup.ts'

/** What sending links by mail needs beyond the service context: the mailer and where links point. */
export type MailDeps = {
  mailer: Mailer
  env: Pick<Env, 'INVITATION_TTL_HOURS'>
  log: Logger
  /**
   * Where the mailed links point: PUBLIC_URL, else this hub on localhost. Never the request's
   * Host header: whoever sends the request chooses it, and a genuine mail would carry a working
   * token to their host. (Links in API answers come from the service context.)
   */
  mailLinks: Links
}

export const invitationLink = (links: Links, token: string) =>
  `${links.base}/invitations/accept?token=${encodeURIComponent(token)}`

/** Issues the single-use invitation token (inside the caller's transaction); earlier links stop working. */
export function issueInvitationToken(db: Queryable, ctx: ServiceContext, userId: number, ttlHours: number) {
  return issueOneTimeToken(db, ctx.clock, {
    companyId: ctx.companyId,
    userId,
    purpose: 'invitation',
    ttlMs: ttlHours * 3_600_000,
  })
}

/**
 * Mails the invitation after the commit. A mail failure does not undo the user: it is logged
 * and the admin can send the invitation again (POST /v1/users/:id/invitation).
 */
export async function sendInvitationMail(ctx: ServiceContext, deps: MailDeps, user: UserRow, token: string) {
  const [company] = await ctx.db
    .select({ name: companies.name })
    .from(companies)
    .where(eq(companies.id, ctx.companyId))
  let inviterName: string | null = null
  if (ctx.actor.type === 'user') {
    const [inviter] = await ctx.db
      .select({ firstName: users.firstName, lastName: users.lastName })
      .from(users)
      .where(and(eq(users.companyId, ctx.companyId), eq(users.id, ctx.actor.userId)))
    inviterName = inviter ? fullName(inviter) : null
  }
  const message = invitationMail({
    to: user.email,
    language: user.language,
    companyName: company?.name ?? 'your company',
    inviterName,
    link: invitationLink(deps.mailLinks, token),
    ttlHours: deps.env.INVITATION_TTL_HOURS,
  })
  try {
    await deps.mailer.send(message)
    return true
  } catch (err) {
    deps.log.error({ err, user_id: user.id }, 'invitation mail could not be sent')
    return false
  }
}

/** Sends a fresh invitation to a user who has not accepted yet; the previous link stops working. */
export async function resendInvitation(ctx: ServiceContext, deps: MailDeps, idOrEmail: string) {
  const user = await findUser(ctx.db, ctx, idOrEmail)
  if (user.invitationAcceptedAt) {
    throw new DomainError(
      'not_allowed',
      'This user already accepted the invitation; they can reset their password',
    )
  }
  const token = await ctx.db.transaction((tx) =>
    issueInvitationToken(tx, ctx, user.id, deps.env.INVITATION_TTL_HOURS),
  )
  const sent = await sendInvitationMail(ctx, deps, user, token)
  if (!sent) throw new DomainError('unavailable', 'The invitation mail could not be sent; try again later')
}
