import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
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

  it('never shows a reader half a blob or a blob without its content type while it is replaced', async () => {
    const store = createDiskBlobStore(dir)
    const key = 'c/2/calls/9/recording.mp3'
    const versions = [
      { bytes: new Uint8Array(256 * 1024).fill(1), type: 'audio/mpeg' },
      { bytes: new Uint8Array(64 * 1024).fill(2), type: 'audio/wav' },
    ]
    await store.put(key, versions[0]!.bytes, versions[0]!.type)
    let writing = true
    const writer = (async () => {
      for (let i = 1; i <= 40; i++) {
        const v = versions[i % 2]!
        await store.put(key, v.bytes, v.type)
      }
      writing = false
    })()
    const seen = new Set<string>()
    while (writing) {
      const blob = await store.get(key)
      expect(blob).not.toBeNull()
      const v = versions.find((x) => x.bytes[0] === blob!.bytes[0])!
      // A whole version, never a truncated one, with a content type that parses.
      expect(blob!.size).toBe(v.bytes.byteLength)
      expect(blob!.bytes.every((b) => b === v.bytes[0])).toBe(true)
      expect(versions.map((x) => x.type)).toContain(blob!.contentType)
      seen.add(blob!.contentType)
    }
    await writer
    expect(seen.size).toBeGreaterThan(0)
    // The writes in progress leave nothing behind.
    expect(await readdir(join(dir, '.tmp'))).toEqual([])
  })

  it('removes what writes that died long ago left, at its next start', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sb-blobs-sweep-'))
    try {
      await mkdir(join(root, '.tmp'))
      const old = join(root, '.tmp', 'dead.blob')
      const recent = join(root, '.tmp', 'running.blob')
      await writeFile(old, 'half a recording')
      await writeFile(recent, 'a write in progress elsewhere')
      const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
      await utimes(old, twoHoursAgo, twoHoursAgo)
      const store = createDiskBlobStore(root)
      await store.put('c/1/a.txt', new TextEncoder().encode('x'), 'text/plain')
      expect(await readdir(join(root, '.tmp'))).toEqual(['running.blob'])
      expect((await store.get('c/1/a.txt'))?.contentType).toBe('text/plain')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
