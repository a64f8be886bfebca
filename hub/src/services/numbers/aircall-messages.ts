import type { MessageSlot, NumberSettings } from '@switchboard/shared'
import { and, eq, inArray } from 'drizzle-orm'
import type { BlobStore } from '../../blobs/blob-store.ts'
import { badRequest } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import { numberAudio } from '../../db/schema/index.ts'
import { findCountry } from '../../telephony/country-rules.ts'
import { defaultSettings } from '../../telephony/number-defaults.ts'
import type { ServiceContext } from '../context.ts'
import {
  AIRCALL_MESSAGE_KEYS,
  AIRCALL_MESSAGE_SLOTS,
  AIRCALL_MESSAGE_TYPES,
  type AircallMessageKey,
} from './aircall-message-keys.ts'
import { AudioFetchError, type FetchedAudio } from './audio-fetch.ts'
import { type StoredAudio, storeAudioBlob } from './number-audio.ts'
import { aircallMessages } from './number-json.ts'
import type { NumberRow } from './number-rules.ts'

/** Aircall's `messages` on PUT /v1/numbers/:id: public MP3 URLs per Aircall key, planned, downloaded, applied. */

export type MessagesInput = Partial<Record<AircallMessageKey, string | null>>

/** What PUT /v1/numbers/:id needs to turn `messages` URLs into stored audio. */
export type MessageAudioDeps = {
  blobs: BlobStore
  /** Downloads an MP3 (audio-fetch.ts downloadMp3 with the hub's URL policy). */
  download: (url: string) => Promise<FetchedAudio>
}

type SlotChange = { kind: 'default' } | { kind: 'audio'; audioId: string }

/**
 * The `messages` of one PUT, checked, before anything is downloaded: what changes without a
 * download (defaults, the company's own files), and which URLs are still to be downloaded.
 */
export type MessagesPlan = {
  /** The number type the keys were checked against. */
  type: NumberRow['type']
  /** Changes known without downloading anything. */
  changes: Map<MessageSlot, SlotChange>
  /** URLs to download, each once, in Aircall's key order, with the first key that names it. */
  downloads: { url: string; key: AircallMessageKey; slots: MessageSlot[] }[]
}

/**
 * `messages` of one PUT, downloaded and stored, ready to apply in the update's transaction.
 * Until applyMessages' transaction has committed, the stored blobs are the caller's to `discard`.
 */
export type PreparedMessages = {
  /** The number type the keys were checked against. */
  type: NumberRow['type']
  /** number_audio rows to insert in the transaction (their blobs are already stored). */
  rows: StoredAudio[]
  changes: Map<MessageSlot, SlotChange>
  /** Deletes the blobs stored for this request (when the transaction did not commit). */
  discard: () => Promise<void>
}

const OWN_AUDIO_PATH =
  /^\/v1\/numbers\/\d{1,10}\/audio\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i

/** The audio id when `raw` is one of this hub's audio links (what GET shows), else null. */
function ownAudioId(raw: string, links: Links): string | null {
  if (!raw.startsWith(`${links.base}/`)) return null
  return OWN_AUDIO_PATH.exec(raw.slice(links.base.length))?.[1]?.toLowerCase() ?? null
}

const typeWords = (types: readonly NumberRow['type'][]) =>
  types.length === 1 && types[0] === 'ivr' ? 'IVR numbers' : 'classic numbers'

/**
 * Checks the `messages` of PUT /v1/numbers/:id against the number (of type `type` after the
 * update) without downloading anything: the caller validates the rest of the request next, and
 * only then has prepareMessages download (a request refused anyway costs no download).
 * Rules (the route's description says the same):
 * - a value equal to what GET shows now leaves the key as it is: a GET → edit → PUT round
 *   trip changes only what was edited (null is what GET shows for text-to-speech, library
 *   music or nothing, so it keeps those);
 * - null on a slot holding an uploaded file resets it to the number's default message;
 * - a link to one of the company's own audio files (as GET shows them) uses that file;
 * - any other URL is downloaded (audio-fetch.ts) and must be an MP3 of at most 10 MB;
 * - a key that does not apply to the number type, `ringing_tone` with a URL, or a deprecated
 *   key and its replacement with different values are refused.
 * Every refusal is a 400 naming `messages.<key>`.
 */
export async function planMessages(
  ctx: ServiceContext,
  current: NumberRow,
  type: NumberRow['type'],
  input: MessagesInput,
): Promise<MessagesPlan> {
  const shown = aircallMessages(current, ctx.links)
  const field = (key: AircallMessageKey) => `messages.${key}`
  type Wanted = { key: AircallMessageKey; value: string | null }
  const wanted = new Map<MessageSlot, Wanted>()
  // Aircall's order puts a deprecated key after its replacement: a conflict names the old key.
  for (const key of AIRCALL_MESSAGE_KEYS) {
    const value = input[key]
    if (value === undefined || value === shown[key]) continue
    if (!AIRCALL_MESSAGE_TYPES[key].includes(type)) {
      throw badRequest(field(key), `applies to ${typeWords(AIRCALL_MESSAGE_TYPES[key])} only`)
    }
    const slot = AIRCALL_MESSAGE_SLOTS[key]
    if (!slot) {
      throw badRequest(
        field(key),
        'is not supported: callers hear the ringback tone while agents ring; set `waiting` for music on hold',
      )
    }
    const other = wanted.get(slot)
    if (other && other.value !== value) {
      throw badRequest(
        field(key),
        `sets the same message as ${other.key}: give one of them, or the same value`,
      )
    }
    wanted.set(slot, { key, value })
  }

  const changes = new Map<MessageSlot, SlotChange>()
  const downloads = new Map<string, MessagesPlan['downloads'][number]>()
  const ownIds = new Map<string, AircallMessageKey>()
  for (const [slot, { key, value }] of wanted) {
    if (value === null) {
      changes.set(slot, { kind: 'default' })
      continue
    }
    const own = ownAudioId(value, ctx.links)
    if (own) {
      ownIds.set(own, key)
      changes.set(slot, { kind: 'audio', audioId: own })
      continue
    }
    const download = downloads.get(value)
    if (download) download.slots.push(slot)
    else downloads.set(value, { url: value, key, slots: [slot] })
  }
  await assertOwnAudio(ctx.db, ctx.companyId, ownIds)
  return { type, changes, downloads: [...downloads.values()] }
}

/**
 * Downloads the plan's URLs and stores them in the blob store, before the update's transaction,
 * so a slow or failing download holds no lock and a failure applies nothing. One download at a
 * time (each waits for a process-wide slot in audio-fetch.ts), each stored before the next
 * starts, so a request holds one file in memory at most; the first failure, in Aircall's key
 * order, is the one reported and nothing after it is downloaded.
 */
export async function prepareMessages(
  ctx: ServiceContext,
  deps: MessageAudioDeps,
  current: NumberRow,
  plan: MessagesPlan,
): Promise<PreparedMessages> {
  const rows: StoredAudio[] = []
  // Best effort and never throwing: the error that made the request fail is the one to report.
  const discard = async () => {
    await Promise.allSettled(rows.map((row) => deps.blobs.delete(row.blobKey)))
  }
  const changes = new Map(plan.changes)
  try {
    for (const { url, key, slots } of plan.downloads) {
      let fetched: FetchedAudio
      try {
        fetched = await deps.download(url)
      } catch (err) {
        if (err instanceof AudioFetchError) throw badRequest(`messages.${key}`, err.message)
        throw err
      }
      const name = fetched.name.toLowerCase().endsWith('.mp3') ? fetched.name : `${key}.mp3`
      const row = await storeAudioBlob(ctx, deps.blobs, current.id, { name, bytes: fetched.bytes })
      rows.push(row)
      for (const slot of slots) changes.set(slot, { kind: 'audio', audioId: row.id })
    }
  } catch (err) {
    await discard()
    throw err
  }
  return { type: plan.type, rows, changes, discard }
}

async function assertOwnAudio(db: Queryable, companyId: number, ids: Map<string, AircallMessageKey>) {
  if (ids.size === 0) return
  const found = await db
    .select({ id: numberAudio.id })
    .from(numberAudio)
    .where(and(eq(numberAudio.companyId, companyId), inArray(numberAudio.id, [...ids.keys()])))
  const known = new Set(found.map((r) => r.id))
  for (const [id, key] of ids) {
    if (!known.has(id)) throw badRequest(`messages.${key}`, 'names an audio file that does not exist')
  }
}

/**
 * The messages of `settings` (the document the update will store) with `changes` applied
 * (null → the number's default for that slot), nothing written: for checking the request
 * before any download, and for the update itself.
 */
export function withMessageChanges(
  row: NumberRow,
  type: NumberRow['type'],
  settings: NumberSettings,
  changes: MessagesPlan['changes'],
): NumberSettings['messages'] {
  const defaults = defaultMessages(row, type)
  const next = { ...settings.messages }
  for (const [slot, change] of changes) {
    if (slot === 'music_on_hold') {
      next.music_on_hold =
        change.kind === 'default' ? defaults.music_on_hold : { type: 'audio', audio_id: change.audioId }
    } else {
      next[slot] = change.kind === 'default' ? defaults[slot] : { type: 'audio', audio_id: change.audioId }
    }
  }
  return next
}

/**
 * Inside the update's transaction: inserts the downloaded files' rows and returns the
 * messages with the prepared changes applied (null → the number's default for that slot).
 */
export async function applyMessages(
  tx: Queryable,
  row: NumberRow,
  settings: NumberSettings,
  prepared: PreparedMessages,
): Promise<NumberSettings['messages']> {
  if (prepared.rows.length > 0) await tx.insert(numberAudio).values(prepared.rows)
  return withMessageChanges(row, prepared.type, settings, prepared.changes)
}

/** The messages a new number of this country and type starts with. */
function defaultMessages(row: NumberRow, type: NumberRow['type']): NumberSettings['messages'] {
  return defaultSettings({
    type,
    timeZone: row.timeZone,
    language: findCountry(row.country)?.language ?? 'en-US',
    users: [],
    teams: [],
  }).messages
}
