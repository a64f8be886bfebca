/**
 * Verification documents are PDF, JPEG or PNG, recognised by their first bytes. The file
 * name and the type the browser declares are whatever the uploader says, so neither is
 * trusted: a PNG named `scan.pdf` is a PNG, an executable named `passport.pdf` is refused.
 */

/** Per document. 10 MiB, the limit shown in the dashboard. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024

export type DocumentContentType = 'application/pdf' | 'image/jpeg' | 'image/png'

const signatures: { type: DocumentContentType; ext: string; magic: number[] }[] = [
  // "%PDF-": PDF 1.x and 2.0 headers; we require it at offset 0 rather than anywhere in the
  // first KiB (which readers tolerate), so a polyglot with a prefix is refused.
  { type: 'application/pdf', ext: 'pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
  // JPEG SOI marker followed by the first marker's 0xFF.
  { type: 'image/jpeg', ext: 'jpg', magic: [0xff, 0xd8, 0xff] },
  // The PNG signature; its CR LF / LF bytes catch files mangled by text-mode transfers.
  { type: 'image/png', ext: 'png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
]

/** The detected type and file extension, or null when the bytes are none of the accepted formats. */
export function detectDocumentType(bytes: Uint8Array): { type: DocumentContentType; ext: string } | null {
  for (const s of signatures) {
    if (bytes.length >= s.magic.length && s.magic.every((b, i) => bytes[i] === b)) {
      return { type: s.type, ext: s.ext }
    }
  }
  return null
}

/**
 * The uploader's file name, kept for display and for the download's Content-Disposition:
 * only the last path segment, control characters removed, at most 200 characters.
 */
export function cleanFilename(name: string, fallback: string): string {
  const last = name.split(/[\\/]/).pop() ?? ''
  const printable = [...last].filter((ch) => {
    const code = ch.codePointAt(0) ?? 0
    return code >= 0x20 && code !== 0x7f
  })
  const cleaned = printable.join('').trim().slice(0, 200)
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? fallback : cleaned
}
