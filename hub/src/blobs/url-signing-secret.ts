import { createHmac, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * The secret that signs download URLs of stored files (call recordings and voicemails), the
 * same for every hub process that serves them:
 * - URL_SIGNING_SECRET when set (at least 32 characters);
 * - else, with DATABASE_URL, a key derived from that URL: every instance already shares it, and
 *   whoever knows it reads the files' rows anyway. Set URL_SIGNING_SECRET when instances reach
 *   the database by different URLs (a pooler for some), or their signed URLs will not verify
 *   on each other;
 * - else (embedded) a random secret kept in DATA_DIR/url-signing-secret (mode 0600), created at
 *   first use.
 * Changing it invalidates the URLs handed out so far; they expire within minutes anyway.
 */
export type UrlSigningSettings = { URL_SIGNING_SECRET?: string; DATABASE_URL?: string; DATA_DIR: string }

const cache = new Map<string, string>()

export function urlSigningSecret(settings: UrlSigningSettings): string {
  if (settings.URL_SIGNING_SECRET) return settings.URL_SIGNING_SECRET
  if (settings.DATABASE_URL) {
    // Derived once per URL: the engine signs its events' links at every call event.
    const key = `url:${settings.DATABASE_URL}`
    let derived = cache.get(key)
    if (!derived) {
      derived = createHmac('sha256', 'switchboard signed URLs').update(settings.DATABASE_URL).digest('hex')
      cache.set(key, derived)
    }
    return derived
  }
  const path = join(resolve(settings.DATA_DIR), 'url-signing-secret')
  const cached = cache.get(path)
  if (cached) return cached
  let secret: string
  try {
    secret = readFileSync(path, 'utf8').trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    mkdirSync(resolve(settings.DATA_DIR), { recursive: true })
    try {
      // wx: of two processes creating it at once, one writes it and both read that one.
      writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    secret = readFileSync(path, 'utf8').trim()
  }
  if (secret.length < 32) throw new Error(`${path} holds no usable secret: delete it to make a new one`)
  cache.set(path, secret)
  return secret
}
