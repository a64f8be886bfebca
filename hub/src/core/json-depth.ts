/**
 * How deep a request body may nest arrays and objects. No request needs more (a number's
 * settings, the deepest, use about 8 levels).
 */
export const MAX_JSON_DEPTH = 64

const OPEN_BRACKET = 0x5b // [
const OPEN_BRACE = 0x7b // {
const CLOSE_BRACKET = 0x5d // ]
const CLOSE_BRACE = 0x7d // }
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \

/**
 * True when `text`, read as JSON, opens more than `maxDepth` arrays and objects inside one
 * another. One pass over the characters, counting brackets and braces outside strings; nothing
 * is parsed or allocated, so a megabyte costs about a millisecond. Malformed text is judged
 * the same way (an unclosed `[[[[…` is as deep as it looks): the parser refuses it later.
 *
 * Why: JSON.parse and everything that walks its result (validation, recursive helpers) spend
 * time, and for recursive code stack, in proportion to the depth. A 1 MB body of brackets is
 * 500,000 levels deep, which held the event loop for most of a second per request.
 */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH)
        i++ // the escaped character cannot end the string
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return true
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) {
      depth--
    }
  }
  return false
}
