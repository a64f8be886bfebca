import { and, eq } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import { users } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { findUser } from '../users/user-lookup.ts'
import { loginThrottleFor } from './login-throttle.ts'
import { withPasswordWork } from './password-gate.ts'
import { hashPassword, verifyPassword } from './secrets.ts'
import { revokeAllCredentials } from './user-tokens.ts'

/**
 * The signed-in user changes their own password from their profile. The current password is
 * checked (a session left open on a shared computer must not be enough), with the same
 * per-address throttling as sign-in. Every other session and agent token is revoked, with the
 * unused reset and invitation links; the session of this request stays signed in.
 */
export async function changeOwnPassword(
  ctx: ServiceContext,
  guard: { owner: object; client: string },
  input: { current_password: string; new_password: string },
): Promise<void> {
  const actor = ctx.actor
  if (actor.type !== 'user') throw new DomainError('forbidden', 'This endpoint needs a user token')
  // An agent token lives in a browser extension for months: it must not be able to take the account.
  if (actor.tokenKind !== 'session') {
    throw new DomainError('forbidden', 'The password is changed from a dashboard session')
  }
  const user = await findUser(ctx.db, ctx, String(actor.userId))
  const email = user.email.toLowerCase()
  const throttle = loginThrottleFor(guard.owner)
  throttle.checkAddress(guard.client, email, ctx.clock.now())
  const passwordHash = await withPasswordWork(guard.owner, guard.client, async () => {
    const ok = user.passwordHash ? await verifyPassword(user.passwordHash, input.current_password) : false
    if (!ok) return null
    return hashPassword(input.new_password)
  })
  if (!passwordHash) {
    throttle.fail(guard.client, email, ctx.clock.now())
    throw badRequest('current_password', 'is not your current password')
  }
  throttle.succeed(guard.client, email)
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now()
    await tx
      .update(users)
      .set({ passwordHash, updatedAt: now })
      .where(and(eq(users.companyId, ctx.companyId), eq(users.id, user.id)))
    await revokeAllCredentials(tx, ctx.clock, {
      companyId: ctx.companyId,
      userId: user.id,
      keepTokenId: actor.tokenId,
    })
  })
}
