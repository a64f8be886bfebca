/**
 * A list of integer ids as a PostgreSQL array literal (`{1,2,3}`), for a statement's
 * `= any($n::int[])`: one parameter whatever the list's length, so the statement's text (and a
 * named statement) stays the same.
 */
export function intArrayLiteral(ids: readonly number[]): string {
  return `{${ids.map((id) => Math.trunc(id)).join(',')}}`
}
