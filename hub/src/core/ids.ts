/** Public ids are PostgreSQL `integer`s: anything above int4 cannot name a row. */
export const MAX_ID = 2_147_483_647

/**
 * The one spelling of an id: decimal digits, no sign, no leading zero, no blank. JavaScript's
 * Number() is far looser ("0x10" is 16, "+1", " 1", "1.0" are 1, "1e3" is 1000), and a loose
 * parse makes another spelling of one id reach a different row than the client meant.
 */
export const CANONICAL_ID = /^[1-9][0-9]{0,9}$/

/** The id `text` spells canonically, or null (the caller answers 400 or 404). */
export function parseCanonicalId(text: string): number | null {
  if (!CANONICAL_ID.test(text)) return null
  const id = Number(text)
  return id <= MAX_ID ? id : null
}
