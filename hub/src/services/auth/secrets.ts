import { randomBytes } from 'node:crypto'
import { hash, verify } from '@node-rs/argon2'
import { sha256 } from '../../core/hashing.ts'

// argon2id with OWASP's suggested minimum (19 MiB, 2 passes, 1 lane).
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const

export const hashPassword = (password: string) => hash(password, ARGON2)
export const verifyPassword = async (stored: string, password: string) => {
  try {
    return await verify(stored, password)
  } catch {
    return false
  }
}

/** A prefixed random secret (`sbk_…`, `sbs_…`) and the SHA-256 we store instead of it. */
export function newSecret(prefix: string, bytes = 24): { value: string; hash: string } {
  const value = `${prefix}_${randomBytes(bytes).toString('base64url')}`
  return { value, hash: sha256(value) }
}
