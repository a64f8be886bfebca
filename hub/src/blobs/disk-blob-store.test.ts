import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDiskBlobStore } from './disk-blob-store.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-blobs-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('disk blob store', () => {
  it('stores, reads back with its content type, and deletes', async () => {
    const store = createDiskBlobStore(dir)
    await store.put('c/1/docs/id.pdf', new TextEncoder().encode('%PDF-1.4 hello'), 'application/pdf')
    const blob = await store.get('c/1/docs/id.pdf')
    expect(blob?.contentType).toBe('application/pdf')
    expect(new TextDecoder().decode(blob!.bytes)).toBe('%PDF-1.4 hello')
    expect(blob?.size).toBe(14)
    await store.delete('c/1/docs/id.pdf')
    expect(await store.get('c/1/docs/id.pdf')).toBeNull()
  })

  it('refuses keys that would escape its folder', async () => {
    const store = createDiskBlobStore(dir)
    for (const key of ['../etc/passwd', '/abs', 'c/../../x', 'c//x', '']) {
      await expect(store.put(key, new Uint8Array([1]), 'text/plain')).rejects.toThrow(/unsafe blob key/)
    }
  })
})
