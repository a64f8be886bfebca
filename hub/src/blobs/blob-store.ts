/**
 * Where recordings, voicemails, uploaded audio, verification documents and invoices live.
 * Local disk under DATA_DIR/blobs by default; S3-compatible storage is the scale driver.
 * Keys are namespaced by company by the callers (`c/<companyId>/…`).
 */
export type StoredBlob = { bytes: Uint8Array; contentType: string; size: number }

export interface BlobStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>
  get(key: string): Promise<StoredBlob | null>
  delete(key: string): Promise<void>
}

const SAFE_KEY = /^[a-zA-Z0-9][a-zA-Z0-9/_.-]{0,400}$/

/** Refuses keys that could escape the store's root (`..`, absolute paths, odd characters). */
export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`unsafe blob key: ${JSON.stringify(key)}`)
  }
}
