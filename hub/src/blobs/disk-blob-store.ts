import { randomUUID } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { assertSafeKey, type BlobStore, type StoredBlob } from './blob-store.ts'

/** Where writes in progress live, under the root (a key cannot start with a dot). */
const TMP_DIR = '.tmp'
/** A file left in TMP_DIR this long ago is from a write that died (a crash): swept at the next start. */
const STALE_TMP_MS = 60 * 60 * 1000

/**
 * Blobs as files under `root`; the content type sits beside each in a `.meta` file.
 *
 * A put is atomic and durable before it resolves, so a database row that names the blob (a
 * call's recording, committed right after) never outlives it, even through a power loss: both
 * files are written and fsynced under TMP_DIR, renamed into place (the `.meta` first: a reader
 * that finds the blob finds its content type), and the directory is fsynced, with the
 * directories the put created. A crash midway leaves the previous version, or nothing, under
 * the key, and an orphan in TMP_DIR that a later start removes.
 */
export function createDiskBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    assertSafeKey(key)
    return join(root, key)
  }
  const tmpRoot = join(root, TMP_DIR)
  let ready: Promise<void> | undefined
  const prepare = () => {
    ready ??= mkdir(tmpRoot, { recursive: true }).then(() => sweepStale(tmpRoot))
    return ready
  }
  return {
    async put(key, bytes, contentType) {
      const path = pathOf(key)
      const dir = dirname(path)
      await prepare()
      const created = await mkdir(dir, { recursive: true })
      const id = randomUUID()
      const tmp = join(tmpRoot, `${id}.blob`)
      const tmpMeta = join(tmpRoot, `${id}.meta`)
      try {
        await Promise.all([writeSynced(tmp, bytes), writeSynced(tmpMeta, JSON.stringify({ contentType }))])
        await rename(tmpMeta, `${path}.meta`)
        await rename(tmp, path)
      } catch (err) {
        await Promise.all([rm(tmp, { force: true }), rm(tmpMeta, { force: true })])
        throw err
      }
      // The new names, and the folders this put created, in their parents' entries.
      await Promise.all([dir, ...(created ? foldersFrom(root, created, dir) : [])].map(syncDir))
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

async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w', 0o600)
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
}

async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/**
 * The folders whose entries changed when `mkdir -p` made `created` (the first folder it made)
 * down to `dir`: the parent of `created`, and each folder from `created` to the parent of `dir`.
 */
function foldersFrom(root: string, created: string, dir: string): string[] {
  const folders = [dirname(created)]
  const below = relative(created, dir)
  let current = created
  for (const part of below === '' ? [] : below.split(sep)) {
    folders.push(current)
    current = join(current, part)
  }
  return folders.filter((f) => !relative(root, f).startsWith('..'))
}

/** Removes the files of writes that died more than STALE_TMP_MS ago. */
async function sweepStale(tmpRoot: string): Promise<void> {
  const cutoff = Date.now() - STALE_TMP_MS
  for (const name of await readdir(tmpRoot)) {
    const path = join(tmpRoot, name)
    const info = await stat(path).catch(() => null)
    if (info && info.mtimeMs < cutoff) await rm(path, { force: true })
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
