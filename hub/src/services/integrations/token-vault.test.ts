import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { keyRing, open, parseKeyRing, seal, sealedWithOldKey } from './token-vault.ts'

const key = (b: number) => Buffer.alloc(32, b).toString('base64')

describe('token vault', () => {
  it('generates one key into DATA_DIR, readable by its owner only, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vault-'))
    const ring = keyRing({ DATA_DIR: dir })
    const path = join(dir, 'crm-token-key')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const sealed = seal(ring, '{"accessToken":"secret"}', 'integration:1')
    expect(sealed).not.toContain('secret')
    // A fresh parse of the same file (another process) opens it.
    const again = parseKeyRing(readFileSync(path, 'utf8'), path)
    expect(open(again, sealed, 'integration:1')).toBe('{"accessToken":"secret"}')
  })

  it('refuses a value bound to another row or tampered with', () => {
    const ring = parseKeyRing(`a:${key(1)}`, 'test')
    const sealed = seal(ring, 'tokens', 'integration:1')
    expect(() => open(ring, sealed, 'integration:2')).toThrow(/does not open/)
    const parts = sealed.split('.')
    parts[4] = Buffer.from('tokenz').toString('base64url')
    expect(() => open(ring, parts.join('.'), 'integration:1')).toThrow(/does not open/)
  })

  it('rotates: the first key seals, older keys still open, rekey is detectable', () => {
    const old = parseKeyRing(`k1:${key(1)}`, 'test')
    const sealed = seal(old, 'tokens', 'integration:7')
    const rotated = parseKeyRing(`k2:${key(2)},k1:${key(1)}`, 'test')
    expect(open(rotated, sealed, 'integration:7')).toBe('tokens')
    expect(sealedWithOldKey(rotated, sealed)).toBe(true)
    const resealed = seal(rotated, 'tokens', 'integration:7')
    expect(sealedWithOldKey(rotated, resealed)).toBe(false)
    // Once k1 is dropped, its values no longer open, with a message that says why.
    expect(() => open(parseKeyRing(`k2:${key(2)}`, 'test'), sealed, 'integration:7')).toThrow(/k1/)
  })

  it('says what is wrong with a bad key list', () => {
    expect(() => parseKeyRing('k1:short', 'CRM_TOKEN_KEYS')).toThrow(/32 bytes/)
    expect(() => parseKeyRing(`:${key(1)}`, 'CRM_TOKEN_KEYS')).toThrow(/id:base64key/)
    expect(() => parseKeyRing(`a:${key(1)},a:${key(2)}`, 'CRM_TOKEN_KEYS')).toThrow(/twice/)
  })
})
