import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import type { BlobStore } from '../../blobs/blob-store.ts'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import { numberAudio } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { type AudioJson, toAudioJson } from './audio-json.ts'
import { estimateMp3DurationMs, isMp3 } from './mp3.ts'
import { findNumber } from './number-hydrate.ts'

/** Uploaded MP3s of a company's numbers (messages and music on hold): storing and reading them. */

/** Admin guide: music and messages are MP3 files of at most 10 MB. */
export const MAX_AUDIO_BYTES = 10 * 1024 * 1024

/** A file name safe to store and to put in a Content-Disposition: no path, no control character. */
function safeFileName(raw: string, fallback: string): string {
  // Postgres text cannot hold NUL; no control character belongs in a file name anyway.
  const leaf = [...(raw.split(/[\\/]/).pop() ?? '')].filter((ch) => ch.charCodeAt(0) >= 0x20).join('')
  return leaf.slice(0, 200) || fallback
}

/** An MP3 put in the blob store whose number_audio row is still to be inserted. */
export type StoredAudio = typeof numberAudio.$inferInsert & { id: string }

export async function storeAudioBlob(
  ctx: ServiceContext,
  blobs: BlobStore,
  numberId: number,
  file: { name: string; bytes: Uint8Array },
): Promise<StoredAudio> {
  const id = randomUUID()
  const blobKey = `c/${ctx.companyId}/audio/${id}.mp3`
  await blobs.put(blobKey, file.bytes, 'audio/mpeg')
  return {
    id,
    companyId: ctx.companyId,
    numberId,
    name: safeFileName(file.name, `${id}.mp3`),
    blobKey,
    sizeBytes: file.bytes.length,
    durationMs: estimateMp3DurationMs(file.bytes),
    createdAt: ctx.clock.now(),
  }
}

/**
 * Stores an uploaded MP3 for messages / music on hold. The content decides, not the name or
 * the declared type: an ID3v2 tag or an MPEG Layer III frame sync, with a consistent frame.
 */
export async function uploadNumberAudio(
  ctx: ServiceContext,
  blobs: BlobStore,
  numberId: number,
  file: { name: string; bytes: Uint8Array },
): Promise<AudioJson> {
  await findNumber(ctx.db, ctx.companyId, numberId)
  if (file.bytes.length > MAX_AUDIO_BYTES) {
    throw new DomainError('payload_too_large', 'file: at most 10 MB', { field: 'file' })
  }
  if (file.bytes.length === 0 || !isMp3(file.bytes)) {
    throw badRequest('file', 'must be an MP3 file (ID3 tag or MPEG audio frames)')
  }
  const stored = await storeAudioBlob(ctx, blobs, numberId, file)
  try {
    const [row] = await ctx.db.insert(numberAudio).values(stored).returning()
    return toAudioJson(row!, ctx.links, numberId)
  } catch (err) {
    await blobs.delete(stored.blobKey)
    throw err
  }
}

/** The bytes of an uploaded file of the company (any of its numbers may use it). */
export async function readNumberAudio(
  ctx: ServiceContext,
  blobs: BlobStore,
  numberId: number,
  audioId: string,
): Promise<{ bytes: Uint8Array; name: string }> {
  await findNumber(ctx.db, ctx.companyId, numberId)
  const [row] = await ctx.db
    .select()
    .from(numberAudio)
    .where(and(eq(numberAudio.id, audioId), eq(numberAudio.companyId, ctx.companyId)))
    .limit(1)
  const blob = row && (await blobs.get(row.blobKey))
  if (!row || !blob) throw notFound('Audio not found')
  return { bytes: blob.bytes, name: row.name }
}
