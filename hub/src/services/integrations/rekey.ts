import { and, asc, eq, gt, isNotNull } from 'drizzle-orm'
import type { Database } from '../../db/client.ts'
import { integrationOauthStates, integrations } from '../../db/schema/index.ts'
import { keyRing, open, seal, sealedWithOldKey, type VaultSettings } from './token-vault.ts'

export type RekeyResult = {
  /** Sealed values looked at (integration tokens and PKCE verifiers in flight). */
  checked: number
  /** Re-sealed with the current key. */
  resealed: number
  /** Integrations whose tokens do not open with any key of the ring (they must be reconnected). */
  unreadable: number[]
}

const BATCH = 200

/**
 * Re-seals every CRM token (and every PKCE verifier of a connection in flight) that an older key
 * sealed, with the current key (the first of CRM_TOKEN_KEYS): the operator's step between
 * putting a new key first and dropping the old one. Each row is updated only if its sealed
 * value is still the one read, so a token refresh racing this keeps its newer set (already
 * sealed with the current key, since every hub has the new ring by then). Runs again safely.
 * An operator command: it spans every company.
 */
export async function rekeyTokens(db: Database, vault: VaultSettings): Promise<RekeyResult> {
  const ring = keyRing(vault)
  const result: RekeyResult = { checked: 0, resealed: 0, unreadable: [] }
  let after = 0
  for (;;) {
    const rows = await db
      .select({ id: integrations.id, tokens: integrations.tokens })
      .from(integrations)
      .where(and(isNotNull(integrations.tokens), gt(integrations.id, after)))
      .orderBy(asc(integrations.id))
      .limit(BATCH)
    if (rows.length === 0) break
    after = rows[rows.length - 1]!.id
    for (const row of rows) {
      const sealed = row.tokens!
      result.checked++
      if (!sealedWithOldKey(ring, sealed)) continue
      const aad = `integration:${row.id}`
      let plain: string
      try {
        plain = open(ring, sealed, aad)
      } catch {
        result.unreadable.push(row.id)
        continue
      }
      const updated = await db
        .update(integrations)
        .set({ tokens: seal(ring, plain, aad) })
        .where(and(eq(integrations.id, row.id), eq(integrations.tokens, sealed)))
        .returning({ id: integrations.id })
      if (updated.length > 0) result.resealed++
    }
  }
  const states = await db
    .select({
      stateHash: integrationOauthStates.stateHash,
      codeVerifier: integrationOauthStates.codeVerifier,
    })
    .from(integrationOauthStates)
    .where(isNotNull(integrationOauthStates.codeVerifier))
  for (const st of states) {
    const sealed = st.codeVerifier!
    result.checked++
    if (!sealedWithOldKey(ring, sealed)) continue
    const aad = `oauth-state:${st.stateHash}`
    try {
      const plain = open(ring, sealed, aad)
      await db
        .update(integrationOauthStates)
        .set({ codeVerifier: seal(ring, plain, aad) })
        .where(
          and(
            eq(integrationOauthStates.stateHash, st.stateHash),
            eq(integrationOauthStates.codeVerifier, sealed),
          ),
        )
      result.resealed++
    } catch {
      // A verifier that no longer opens only fails that one connection attempt: start it again.
    }
  }
  return result
}
