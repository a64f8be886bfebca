import { and, eq, gt, isNull, ne } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { badRequest } from '../../core/errors.ts'
import { sha256 } from '../../core/hashing.ts'
import type { Queryable } from '../../db/client.ts'
import { oneTimeTokens, userTokens } from '../../db/schema/index.ts'
import { newSecret } from './secrets.ts'

const HOUR = 3_600_000

/**
 * A bearer token for a user: a dashboard session (expires after ttlHours) or a long-lived
 * agent token (extension). Only its SHA-256 is stored; the value is returned once.
 */
export async function issueUserToken(
  db: Queryable,
  clock: Clock,
  input: { companyId: number; userId: number; kind: 'session' | 'agent'; name?: string; ttlHours?: number },
) {
  const secret = newSecret(input.kind === 'session' ? 'sbs' : 'sba')
  const now = clock.now()
  const [row] = await db
    .insert(userTokens)
    .values({
      companyId: input.companyId,
      userId: input.userId,
      kind: input.kind,
      name: input.name ?? null,
      tokenHash: secret.hash,
      expiresAt: input.ttlHours ? new Date(now.getTime() + input.ttlHours * HOUR) : null,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
  return { row: row!, token: secret.value }
}

/**
 * Revokes every live token of a user of the given kind (all kinds when omitted), except
 * `keepTokenId` (the request's own session, when the user acts on themselves).
 */
export async function revokeUserTokens(
  db: Queryable,
  clock: Clock,
  scope: { companyId: number; userId: number; kind?: 'session' | 'agent'; keepTokenId?: number },
) {
  const now = clock.now()
  await db
    .update(userTokens)
    .set({ revokedAt: now, updatedAt: now })
    .where(
      and(
        eq(userTokens.companyId, scope.companyId),
        eq(userTokens.userId, scope.userId),
        scope.kind ? eq(userTokens.kind, scope.kind) : undefined,
        scope.keepTokenId === undefined ? undefined : ne(userTokens.id, scope.keepTokenId),
        isNull(userTokens.revokedAt),
      ),
    )
}

type Purpose = 'invitation' | 'password_reset'

/**
 * Everything that lets someone act as the user, or become them: dashboard sessions, agent
 * tokens, and the unused invitation and password-reset links. Called, in the changing
 * transaction, when what those credentials were issued under changes: the password, the
 * email, the role. `keepTokenId` spares the session of a user acting on themselves.
 */
export async function revokeAllCredentials(
  db: Queryable,
  clock: Clock,
  scope: { companyId: number; userId: number; keepTokenId?: number },
) {
  await revokeUserTokens(db, clock, scope)
  for (const purpose of ['invitation', 'password_reset'] as const) {
    await retireOneTimeTokens(db, clock, { companyId: scope.companyId, userId: scope.userId, purpose })
  }
}

/**
 * A single-use emailed link token. Issuing one retires the user's earlier unused tokens of
 * the same purpose, so only the newest link works.
 */
export async function issueOneTimeToken(
  db: Queryable,
  clock: Clock,
  input: { companyId: number; userId: number; purpose: Purpose; ttlMs: number },
): Promise<string> {
  const now = clock.now()
  await retireOneTimeTokens(db, clock, input)
  const secret = newSecret(input.purpose === 'invitation' ? 'sbi' : 'sbr')
  await db.insert(oneTimeTokens).values({
    companyId: input.companyId,
    userId: input.userId,
    purpose: input.purpose,
    tokenHash: secret.hash,
    expiresAt: new Date(now.getTime() + input.ttlMs),
    createdAt: now,
    updatedAt: now,
  })
  return secret.value
}

export async function retireOneTimeTokens(
  db: Queryable,
  clock: Clock,
  scope: { companyId: number; userId: number; purpose: Purpose },
) {
  const now = clock.now()
  await db
    .update(oneTimeTokens)
    .set({ usedAt: now, updatedAt: now })
    .where(
      and(
        eq(oneTimeTokens.companyId, scope.companyId),
        eq(oneTimeTokens.userId, scope.userId),
        eq(oneTimeTokens.purpose, scope.purpose),
        isNull(oneTimeTokens.usedAt),
      ),
    )
}

const purposeLabel: Record<Purpose, string> = {
  invitation: 'invitation',
  password_reset: 'password reset link',
}

/** The live token row for a link value, or a 400 naming `token` that says what is wrong with it. */
export async function findOneTimeToken(db: Queryable, clock: Clock, purpose: Purpose, value: string) {
  const [row] = await db
    .select()
    .from(oneTimeTokens)
    .where(and(eq(oneTimeTokens.tokenHash, sha256(value)), eq(oneTimeTokens.purpose, purpose)))
    .limit(1)
  const label = purposeLabel[purpose]
  if (!row) throw badRequest('token', `this ${label} is not valid`)
  if (row.usedAt) throw badRequest('token', `this ${label} was already used or replaced by a newer one`)
  if (row.expiresAt <= clock.now()) {
    throw badRequest(
      'token',
      purpose === 'invitation'
        ? 'this invitation has expired; ask an admin to send a new one'
        : 'this password reset link has expired; ask for a new one',
    )
  }
  return row
}

/**
 * Marks a link token used, atomically: of two concurrent requests with the same link only one
 * gets the row back; the other gets the same 400 as a reused link.
 */
export async function consumeOneTimeToken(db: Queryable, clock: Clock, purpose: Purpose, value: string) {
  const now = clock.now()
  const [row] = await db
    .update(oneTimeTokens)
    .set({ usedAt: now, updatedAt: now })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, sha256(value)),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, now),
      ),
    )
    .returning()
  if (row) return row
  await findOneTimeToken(db, clock, purpose, value)
  // Found live a moment ago but not updatable now: a concurrent request consumed it.
  throw badRequest('token', `this ${purposeLabel[purpose]} was already used`)
}

/** A token issued to this user for this purpose after `since`, if any (reset-mail throttling). */
export async function recentOneTimeToken(
  db: Queryable,
  scope: { userId: number; purpose: Purpose; since: Date },
) {
  const [row] = await db
    .select({ id: oneTimeTokens.id })
    .from(oneTimeTokens)
    .where(
      and(
        eq(oneTimeTokens.userId, scope.userId),
        eq(oneTimeTokens.purpose, scope.purpose),
        gt(oneTimeTokens.createdAt, scope.since),
      ),
    )
    .limit(1)
  return row
}
