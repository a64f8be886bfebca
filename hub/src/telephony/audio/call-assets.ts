import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import type { BlobStore, StoredBlob } from '../../blobs/blob-store.ts'
import { type CallAudioKind, renderCallAudio } from './call-audio.ts'

/**
 * Recordings and voicemails of calls: stored in the blob store under the company's namespace
 * (`c/<company>/calls/<call>/<kind>-<uuid>.mp3`) and handed out as expiring signed URLs, the
 * way Aircall hands out its `recording` / `voicemail` links (short-lived URLs that need no API
 * credentials, so a CRM or a browser's audio player can fetch them).
 *
 * A URL is `<base>/v1/call-assets/<company>/<call>/<file>?expires=<UNIX s>&signature=<hex>`.
 * The signature is an HMAC-SHA256 of the company, the asset and the expiry, keyed by a key
 * derived for that company from the hub's URL signing secret: changing any part of the URL
 * (another asset, another company, a later expiry) makes it invalid, and a signature minted for
 * one company never verifies for another. The blob key is rebuilt from the URL's path and always
 * lies under that company's namespace.
 */

export type CallAssetKind = CallAudioKind

/** Longest validity of a signed URL (Aircall's recording links last minutes; a week is the cap). */
export const MAX_ASSET_URL_TTL_SEC = 7 * 24 * 3600
/** Validity when the caller does not say: 10 minutes, as Aircall's recording links. */
export const DEFAULT_ASSET_URL_TTL_SEC = 600

const FILE = /^(recording|voicemail)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.mp3$/
const ID = /^[1-9]\d{0,17}$/

export const isCallAssetFile = (file: string) => FILE.test(file)

/** The blob key of a call asset, or null when the parts cannot name one. */
export function callAssetKey(
  companyId: string | number,
  callId: string | number,
  file: string,
): string | null {
  const company = String(companyId)
  const call = String(callId)
  if (!ID.test(company) || !ID.test(call) || !FILE.test(file)) return null
  return `c/${company}/calls/${call}/${file}`
}

/**
 * A file id that is the same each time for one call's asset: storing it again (a job retried
 * after a crash) overwrites the file instead of leaving an orphan beside it.
 */
export function stableAssetId(companyId: number, callId: number, kind: CallAssetKind): string {
  const h = createHash('sha256').update(`${companyId}/${callId}/${kind}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/**
 * Renders the call's audio (see call-audio.ts) and stores it; returns its blob key. `fileId`
 * names the file (a UUID; random when not given).
 */
export async function storeCallAsset(
  blobs: BlobStore,
  input: {
    companyId: number
    callId: number
    kind: CallAssetKind
    seconds: number
    seed?: number
    fileId?: string
  },
): Promise<string> {
  const bytes = await renderCached({
    kind: input.kind,
    seconds: input.seconds,
    seed: input.seed ?? input.callId,
  })
  const key = callAssetKey(input.companyId, input.callId, `${input.kind}-${input.fileId ?? randomUUID()}.mp3`)
  if (!key) throw new RangeError(`bad company or call id: ${input.companyId}/${input.callId}`)
  await blobs.put(key, bytes, 'audio/mpeg')
  return key
}

/**
 * Rendered files by kind, length and seed: the sandbox's calls of one length sound alike, so a
 * busy hub encodes each length once instead of once per call (MP3 encoding is the costliest
 * step of a call's end). Bounded by size; the oldest entries go first.
 */
const RENDER_CACHE_BYTES = 16 * 1024 * 1024
const rendered = new Map<string, Promise<Buffer>>()
/** Sizes of the finished renderings, oldest first: only those are evicted. */
const renderedSizes = new Map<string, number>()
let renderedBytes = 0

function renderCached(request: { kind: CallAssetKind; seconds: number; seed: number }): Promise<Buffer> {
  const key = `${request.kind}:${request.seconds}:${request.seed}`
  const hit = rendered.get(key)
  if (hit) return hit
  const bytes = renderCallAudio(request)
  rendered.set(key, bytes)
  bytes.then(
    (b) => {
      renderedSizes.set(key, b.length)
      renderedBytes += b.length
      for (const [k, size] of renderedSizes) {
        if (renderedBytes <= RENDER_CACHE_BYTES) break
        rendered.delete(k)
        renderedSizes.delete(k)
        renderedBytes -= size
      }
    },
    () => rendered.delete(key),
  )
  return bytes
}

/** The signing key of one company, derived from the hub's secret. */
function companyKey(secret: string, companyId: string): Buffer {
  return createHmac('sha256', secret).update(`call-assets:${companyId}`).digest()
}

function sign(secret: string, companyId: string, path: string, expires: number): string {
  return createHmac('sha256', companyKey(secret, companyId))
    .update(`${companyId}\n${path}\n${expires}`)
    .digest('hex')
}

/**
 * A URL to download the asset until `expiresAt` (at most MAX_ASSET_URL_TTL_SEC from now).
 * Refuses a blob key outside the company's namespace: a caller cannot hand out another
 * company's file by mistake.
 */
export function signedAssetUrl(input: {
  secret: string
  /** Where the API is reached (PUBLIC_URL or the request's origin), without a trailing slash. */
  base: string
  companyId: number
  blobKey: string
  now: Date
  ttlSec?: number
}): { url: string; expiresAt: Date } {
  const ttl = input.ttlSec ?? DEFAULT_ASSET_URL_TTL_SEC
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_ASSET_URL_TTL_SEC)
    throw new RangeError(`a signed URL lasts 1 to ${MAX_ASSET_URL_TTL_SEC} seconds`)
  const match = /^c\/(\d+)\/calls\/(\d+)\/([^/]+)$/.exec(input.blobKey)
  if (!match || match[1] !== String(input.companyId) || !callAssetKey(match[1], match[2]!, match[3]!))
    throw new RangeError(`not a call asset of company ${input.companyId}: ${input.blobKey}`)
  const expires = Math.floor(input.now.getTime() / 1000) + ttl
  const path = `${match[2]}/${match[3]}`
  const signature = sign(input.secret, match[1], path, expires)
  const url = `${input.base.replace(/\/+$/, '')}/v1/call-assets/${match[1]}/${path}?expires=${expires}&signature=${signature}`
  return { url, expiresAt: new Date(expires * 1000) }
}

export type AssetUrlCheck =
  | { ok: true; blobKey: string }
  | { ok: false; reason: 'malformed' | 'expired' | 'bad_signature' }

/** Checks a signed URL's parts (as the route receives them) at `now`. */
export function verifyAssetUrl(input: {
  secret: string
  companyId: string
  callId: string
  file: string
  expires: string | undefined
  signature: string | undefined
  now: Date
}): AssetUrlCheck {
  const blobKey = callAssetKey(input.companyId, input.callId, input.file)
  if (!blobKey || !input.expires || !/^\d{1,12}$/.test(input.expires))
    return { ok: false, reason: 'malformed' }
  if (!input.signature || !/^[0-9a-f]{64}$/.test(input.signature)) return { ok: false, reason: 'malformed' }
  const expires = Number(input.expires)
  const expected = Buffer.from(
    sign(input.secret, input.companyId, `${input.callId}/${input.file}`, expires),
    'hex',
  )
  // The signature first: an expiry is only meaningful once we know it was not edited.
  if (!timingSafeEqual(expected, Buffer.from(input.signature, 'hex')))
    return { ok: false, reason: 'bad_signature' }
  if (input.now.getTime() >= expires * 1000) return { ok: false, reason: 'expired' }
  return { ok: true, blobKey }
}

/** The stored file of a verified URL, or null when it was deleted since. */
export function readCallAsset(blobs: BlobStore, blobKey: string): Promise<StoredBlob | null> {
  return blobs.get(blobKey)
}

/** How long the `recording` and `voicemail` links of a Call object last: 1 h, as Aircall's. */
export const CALL_OBJECT_ASSET_TTL_SEC = 3600

export type AssetUrlSigner = (companyId: number, blobKey: string) => string

/** Signs the links of Call objects (API answers, webhooks) at the moment they are built. */
export function callAssetSigner(input: { secret: string; base: string; now: () => Date }): AssetUrlSigner {
  return (companyId, blobKey) =>
    signedAssetUrl({
      secret: input.secret,
      base: input.base,
      companyId,
      blobKey,
      now: input.now(),
      ttlSec: CALL_OBJECT_ASSET_TTL_SEC,
    }).url
}
