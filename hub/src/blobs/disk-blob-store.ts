import { randomUUID } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
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
 * that finds a new blob finds its content type), and the folder is fsynced; so is, once per
 * process, each folder's entry in its parent up to the root. A reader never sees part of a
 * file. A crash midway leaves the previous bytes under the key (with the new `.meta`, the same
 * content type for every key the hub writes), or nothing, and an orphan in TMP_DIR that a later
 * start removes. Files are readable by the hub's user only (0600).
 */
export function createDiskBlobStore(rootDir: string): BlobStore {
  const root = resolve(rootDir)
  const pathOf = (key: string) => {
    assertSafeKey(key)
    return join(root, key)
  }
  const tmpRoot = join(root, TMP_DIR)
  let ready: Promise<void> | undefined
  const prepare = () => {
    ready ??= mkdir(tmpRoot, { recursive: true }).then(
      () => sweepStale(tmpRoot),
      (err: unknown) => {
        ready = undefined
        throw err
      },
    )
    return ready
  }
  /** Folders whose entry in their parent is on disk (or being made so), this process. */
  const durable = new Map<string, Promise<void>>()
  const entryDurable = (folder: string): Promise<void> => {
    let done = durable.get(folder)
    if (!done) {
      done = syncDir(dirname(folder)).catch((err: unknown) => {
        durable.delete(folder)
        throw err
      })
      durable.set(folder, done)
    }
    return done
  }
  return {
    async put(key, bytes, contentType) {
      const path = pathOf(key)
      const dir = dirname(path)
      await prepare()
      await mkdir(dir, { recursive: true })
      const id = randomUUID()
      const tmp = join(tmpRoot, `${id}.blob`)
      const tmpMeta = join(tmpRoot, `${id}.meta`)
      try {
        const written = await Promise.allSettled([
          writeSynced(tmp, bytes),
          writeSynced(tmpMeta, JSON.stringify({ contentType })),
        ])
        for (const w of written) if (w.status === 'rejected') throw w.reason
        await rename(tmpMeta, `${path}.meta`)
        await rename(tmp, path)
      } catch (err) {
        await Promise.all([rm(tmp, { force: true }), rm(tmpMeta, { force: true })])
        throw err
      }
      // The new names in their folder, and that folder (and those above it) in their parents.
      await Promise.all([syncDir(dir), ...foldersUpTo(root, dir).map(entryDurable)])
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

/** `dir` and every folder above it up to `root`, root included. */
function foldersUpTo(root: string, dir: string): string[] {
  const folders: string[] = []
  for (let f = dir; ; f = dirname(f)) {
    folders.push(f)
    if (f === root || relative(root, f).startsWith('..') || dirname(f) === f) break
  }
  return folders
}

/**
 * Removes the files of writes that died more than STALE_TMP_MS ago. Best effort: what it cannot
 * read or remove stays, and puts go on.
 */
async function sweepStale(tmpRoot: string): Promise<void> {
  const cutoff = Date.now() - STALE_TMP_MS
  for (const name of await readdir(tmpRoot).catch(() => [])) {
    const path = join(tmpRoot, name)
    const info = await stat(path).catch(() => null)
    if (info && info.mtimeMs < cutoff) await rm(path, { force: true, recursive: true }).catch(() => {})
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
