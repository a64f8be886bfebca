import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Seals CRM tokens at rest with AES-256-GCM. A sealed value is
 * `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts); the additional data binds it to its
 * row (`integration:<id>`), so a sealed set copied onto another company's integration does not
 * open there.
 *
 * Keys:
 * - CRM_TOKEN_KEYS, `id:base64key[,id:base64key…]` (32-byte keys, `openssl rand -base64 32`):
 *   the first seals new values, all of them open old ones. Every hub process needs the same list.
 * - else a key generated once into DATA_DIR/crm-token-key (mode 0600), in the same format.
 *   Losing that file loses the CRM connections (they must be reconnected), not the calls.
 *
 * Rotation: put a new key first in the list (keep the old ones after it), restart, run
 * `sb integrations:rekey` to re-seal every token with the new key, then drop the old key.
 */
export type KeyRing = { current: string; keys: ReadonlyMap<string, Buffer> }

export type VaultSettings = { CRM_TOKEN_KEYS?: string; DATA_DIR: string }

const VERSION = 'v1'
const rings = new Map<string, KeyRing>()

export function parseKeyRing(spec: string, where: string): KeyRing {
  const keys = new Map<string, Buffer>()
  let current: string | null = null
  for (const part of spec.split(/[,\n]/).map((p) => p.trim())) {
    if (!part) continue
    const colon = part.indexOf(':')
    const id = colon > 0 ? part.slice(0, colon) : ''
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id))
      throw new Error(`${where}: each key is "id:base64key" (id: letters, digits, - or _)`)
    const key = Buffer.from(part.slice(colon + 1), 'base64')
    if (key.length !== 32) throw new Error(`${where}: key "${id}" is not 32 bytes of base64`)
    if (keys.has(id)) throw new Error(`${where}: key "${id}" is listed twice`)
    keys.set(id, key)
    current ??= id
  }
  if (!current) throw new Error(`${where}: no key`)
  return { current, keys }
}

export function keyRing(settings: VaultSettings): KeyRing {
  if (settings.CRM_TOKEN_KEYS) {
    const cached = rings.get(`env:${settings.CRM_TOKEN_KEYS}`)
    if (cached) return cached
    const ring = parseKeyRing(settings.CRM_TOKEN_KEYS, 'CRM_TOKEN_KEYS')
    rings.set(`env:${settings.CRM_TOKEN_KEYS}`, ring)
    return ring
  }
  const path = join(resolve(settings.DATA_DIR), 'crm-token-key')
  const cached = rings.get(path)
  if (cached) return cached
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    mkdirSync(resolve(settings.DATA_DIR), { recursive: true })
    try {
      // wx: of two processes creating it at once, one writes it and both read that one.
      writeFileSync(path, `k1:${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    text = readFileSync(path, 'utf8')
  }
  const ring = parseKeyRing(text, path)
  rings.set(path, ring)
  return ring
}

export function seal(ring: KeyRing, plaintext: string, aad: string): string {
  const key = ring.keys.get(ring.current) as Buffer
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [
    VERSION,
    ring.current,
    iv.toString('base64url'),
    tag.toString('base64url'),
    ct.toString('base64url'),
  ].join('.')
}

export class VaultError extends Error {}

export function open(ring: KeyRing, sealed: string, aad: string): string {
  const [version, keyId, iv, tag, ct] = sealed.split('.')
  if (version !== VERSION || !keyId || iv === undefined || tag === undefined || ct === undefined)
    throw new VaultError('not a sealed value')
  const key = ring.keys.get(keyId)
  if (!key) throw new VaultError(`sealed with key "${keyId}", which is not in the key ring`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    throw new VaultError('the sealed value does not open (tampered, or bound to another row)')
  }
}

/** Whether a sealed value was made with an older key (`sb integrations:rekey` re-seals it). */
export function sealedWithOldKey(ring: KeyRing, sealed: string): boolean {
  return sealed.split('.')[1] !== ring.current
}
