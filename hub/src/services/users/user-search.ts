import { z } from '@hono/zod-openapi'
import { and, type SQL, sql } from 'drizzle-orm'
import type { PgColumn } from 'drizzle-orm/pg-core'

/** The `search` query parameter of the lists that have a search bar in the dashboard. */
export const searchParam = z
  .string()
  .trim()
  .max(100, 'must be at most 100 characters')
  .refine((v) => !v.includes('\u0000'), 'must not contain NUL characters')
  .optional()
  .openapi({
    description:
      'Words that must each appear in the name or email, ignoring case and accents ("jose ex" finds José Example)',
    example: 'jane',
  })

// Accented Latin letters folded to their base letter, on both sides of the comparison. Done by
// hand because lower() and ILIKE only fold ASCII under the C locale and unaccent is an extension.
const ACCENTED = 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿ'
const PLAIN = 'AAAAAACEEEEIIIINOOOOOOUUUUYaaaaaaceeeeiiiinoooooouuuuyy'

const fold = (text: string) =>
  text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[øØ]/g, 'o').toLowerCase()

const likeEscape = (word: string) => word.replace(/[\\%_]/g, (c) => `\\${c}`)

/**
 * Every word of `search` appears in one of `columns` (case and accents ignored), or undefined
 * (no filter) for an empty search. Wildcards in the search are plain characters.
 */
export function matchesSearch(search: string | undefined, columns: PgColumn[]): SQL | undefined {
  const words = fold(search ?? '')
    .split(/\s+/)
    .filter((w) => w !== '')
    .slice(0, 10)
  if (words.length === 0 || columns.length === 0) return undefined
  const haystack = sql`lower(translate(${sql.join(
    columns.map((c) => sql`coalesce(${c}, '')`),
    sql` || ' ' || `,
  )}, ${ACCENTED}, ${PLAIN}))`
  return and(...words.map((w) => sql`${haystack} like ${`%${likeEscape(w)}%`}`))
}
