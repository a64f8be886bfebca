import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { urlSigningSecret } from './url-signing-secret.ts'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('urlSigningSecret', () => {
  it('embedded: makes a random secret in DATA_DIR once (mode 0600) and keeps using it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-secret-'))
    dirs.push(dir)
    const first = urlSigningSecret({ DATA_DIR: join(dir, 'data') })
    expect(first).toMatch(/^[0-9a-f]{64}$/)
    const path = join(dir, 'data', 'url-signing-secret')
    expect(readFileSync(path, 'utf8').trim()).toBe(first)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(urlSigningSecret({ DATA_DIR: join(dir, 'data') })).toBe(first)
    const other = mkdtempSync(join(tmpdir(), 'sb-secret-'))
    dirs.push(other)
    expect(urlSigningSecret({ DATA_DIR: other })).not.toBe(first)
  })

  it('takes URL_SIGNING_SECRET when set, else derives one from DATABASE_URL shared by every instance', () => {
    const explicit = 'x'.repeat(40)
    expect(urlSigningSecret({ URL_SIGNING_SECRET: explicit, DATA_DIR: '/nonexistent' })).toBe(explicit)
    const a = urlSigningSecret({ DATABASE_URL: 'postgres://u:p@db/one', DATA_DIR: '/nonexistent' })
    expect(a).toBe(urlSigningSecret({ DATABASE_URL: 'postgres://u:p@db/one', DATA_DIR: '/elsewhere' }))
    expect(a).not.toBe(urlSigningSecret({ DATABASE_URL: 'postgres://u:other@db/one', DATA_DIR: '/x' }))
    expect(a).not.toContain('postgres')
  })
})
