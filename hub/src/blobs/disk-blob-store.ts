import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { assertSafeKey, type BlobStore, type StoredBlob } from './blob-store.ts'

/** Blobs as files under `root`; the content type sits beside each in a `.meta` file. Writes are atomic (rename). */
export function createDiskBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    assertSafeKey(key)
    return join(root, key)
  }
  return {
    async put(key, bytes, contentType) {
      const path = pathOf(key)
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.${process.pid}.${Date.now()}.tmp`
      await writeFile(tmp, bytes)
      await writeFile(`${path}.meta`, JSON.stringify({ contentType }))
      await rename(tmp, path)
    },
    async get(key): Promise<StoredBlob | null> {
      const path = pathOf(key)
      try {
        const [bytes, meta] = await Promise.all([readFile(path), readFile(`${path}.meta`, 'utf8')])
        const { contentType } = JSON.parse(meta) as { contentType: string }
        return { bytes: new Uint8Array(bytes), contentType, size: bytes.byteLength }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
    },
    async delete(key) {
      const path = pathOf(key)
      await rm(path, { force: true })
      await rm(`${path}.meta`, { force: true })
    },
  }
}

/** In-memory store for tests. */
export function createMemoryBlobStore(): BlobStore & { keys(): string[] } {
  const blobs = new Map<string, StoredBlob>()
  return {
    async put(key, bytes, contentType) {
      assertSafeKey(key)
      blobs.set(key, { bytes: new Uint8Array(bytes), contentType, size: bytes.byteLength })
    },
    async get(key) {
      return blobs.get(key) ?? null
    },
    async delete(key) {
      blobs.delete(key)
    },
    keys: () => [...blobs.keys()],
  }
}
