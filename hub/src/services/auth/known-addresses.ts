import { and, eq, inArray, lt } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { sha256 } from '../../core/hashing.ts'
import type { Queryable } from '../../db/client.ts'
import { loginAddresses } from '../../db/schema/index.ts'
import { UNKNOWN_CLIENT } from './client-key.ts'

/** An address nobody signed in from for this long is new again. */
const FORGET_AFTER_MS = 180 * 24 * 3_600_000

/** The address is stored as a hash: it only ever needs comparing. */
const addressHash = (client: string) => sha256(`login-address:${client}`)

/** Whether one of these users signed in from this client address (login-throttle.ts). */
export async function signedInFrom(db: Queryable, clock: Clock, userIds: number[], client: string) {
  if (userIds.length === 0 || client === UNKNOWN_CLIENT) return false
  const since = new Date(clock.now().getTime() - FORGET_AFTER_MS)
  const rows = await db
    .select({ userId: loginAddresses.userId, at: loginAddresses.lastSuccessAt })
    .from(loginAddresses)
    .where(and(inArray(loginAddresses.userId, userIds), eq(loginAddresses.addressHash, addressHash(client))))
  return rows.some((r) => r.at > since)
}

/** Records a successful sign-in (password checked, or a mailed link used) from this address. */
export async function rememberAddress(
  db: Queryable,
  clock: Clock,
  user: { companyId: number; id: number },
  client: string,
) {
  if (client === UNKNOWN_CLIENT) return
  const now = clock.now()
  await db
    .insert(loginAddresses)
    .values({
      companyId: user.companyId,
      userId: user.id,
      addressHash: addressHash(client),
      lastSuccessAt: now,
    })
    .onConflictDoUpdate({
      target: [loginAddresses.userId, loginAddresses.addressHash],
      set: { lastSuccessAt: now },
    })
  await db
    .delete(loginAddresses)
    .where(
      and(
        eq(loginAddresses.userId, user.id),
        lt(loginAddresses.lastSuccessAt, new Date(now.getTime() - FORGET_AFTER_MS)),
      ),
    )
}
