import { and, eq, gt, inArray, isNull, or } from 'drizzle-orm'
import type { Actor } from '../../core/actor.ts'
import { safeEqual, sha256 } from '../../core/hashing.ts'
import type { Queryable } from '../../db/client.ts'
import { apiKeys, users, userTokens } from '../../db/schema/index.ts'
import { credentialCache, type VerifiedCredential } from './credential-cache.ts'

/**
 * The actor an Authorization header value stands for (`Basic api_id:api_token` or
 * `Bearer <session or agent token>`), from the database; undefined when it is not valid.
 */
export async function verifyCredential(
  db: Queryable,
  header: string,
  now: Date,
): Promise<VerifiedCredential | undefined> {
  const [scheme, value = ''] = header.split(/\s+/, 2)
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    const sep = decoded.indexOf(':')
    const apiId = decoded.slice(0, sep)
    // An api_id PostgreSQL cannot even compare (a NUL) is just a wrong one: 403, not a 400.
    if (sep <= 0 || apiId.includes('\u0000')) return undefined
    const token = decoded.slice(sep + 1)
    const [key] = await db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.apiId, apiId), isNull(apiKeys.revokedAt)))
      .limit(1)
    if (!key || !safeEqual(key.tokenHash, sha256(token))) return undefined
    return {
      actor: { type: 'api_key', companyId: key.companyId, apiKeyId: key.id },
      expiresAt: null,
      lastUsedAt: key.lastUsedAt,
    }
  }
  if (scheme?.toLowerCase() === 'bearer' && value) {
    const [row] = await db
      .select({ token: userTokens, role: users.role })
      .from(userTokens)
      .innerJoin(users, eq(users.id, userTokens.userId))
      .where(and(eq(userTokens.tokenHash, sha256(value)), isNull(userTokens.revokedAt)))
      .limit(1)
    if (!row || (row.token.expiresAt && row.token.expiresAt <= now)) return undefined
    return {
      actor: {
        type: 'user',
        companyId: row.token.companyId,
        userId: row.token.userId,
        role: row.role,
        tokenId: row.token.id,
        tokenKind: row.token.kind,
      },
      expiresAt: row.token.expiresAt,
      lastUsedAt: row.token.lastUsedAt,
    }
  }
  return undefined
}

/**
 * verifyCredential through this process's credential cache (see credential-cache.ts for why
 * a hit is safe): what the API's authentication and the realtime channel's first frame use.
 */
export async function resolveCredential(
  db: Queryable,
  header: string,
  now: Date,
): Promise<VerifiedCredential | undefined> {
  let verified = credentialCache.get(header)
  if (verified?.expiresAt && verified.expiresAt <= now) verified = undefined
  if (verified) return verified
  const startedAt = credentialCache.startLookup()
  verified = await verifyCredential(db, header, now)
  if (verified) credentialCache.set(header, verified, startedAt)
  return verified
}

/**
 * Of these user tokens, the ones still valid now (not revoked, not expired, their user still
 * there): one query for every token a process holds open (the realtime channel's sockets).
 */
export async function liveUserTokenIds(
  db: Queryable,
  tokenIds: readonly number[],
  now: Date,
): Promise<Set<number>> {
  if (tokenIds.length === 0) return new Set()
  const rows = await db
    .select({ id: userTokens.id })
    .from(userTokens)
    .innerJoin(users, eq(users.id, userTokens.userId))
    .where(
      and(
        inArray(userTokens.id, [...tokenIds]),
        isNull(userTokens.revokedAt),
        or(isNull(userTokens.expiresAt), gt(userTokens.expiresAt, now)),
      ),
    )
  return new Set(rows.map((r) => r.id))
}

export type UserActor = Extract<Actor, { type: 'user' }>
