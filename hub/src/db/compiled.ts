import type { Query } from 'drizzle-orm'
import type { Queryable } from './client.ts'

/** What drizzle's query builders have: their run. */
type Builder = { execute(...args: never[]): Promise<unknown> }

/** The parts of a drizzle prepared query this file reads (the same on postgres-js and PGlite). */
type PreparedParts = {
  getQuery(): Query
  isResponseInArrayMode(): boolean
  fields?: unknown
  customResultMapper?: unknown
  joinsNotNullableMap?: unknown
  queryMetadata?: { type: 'select' | 'update' | 'delete' | 'insert'; tables: string[] }
  execute(values?: Record<string, unknown>): Promise<unknown>
}

type Built = Pick<
  PreparedParts,
  'fields' | 'customResultMapper' | 'joinsNotNullableMap' | 'queryMetadata'
> & {
  query: Query
  arrayMode: boolean
}

/**
 * A statement whose SQL text is built once, for the engine's statements that run several times
 * per call. drizzle builds a statement's text from its parts at every run: about 100 µs for a
 * select of the calls table's columns, 60–90 µs for an update of eight of them, 40 µs for an
 * insert, on the hub's one thread.
 *
 * `build` writes the statement with `sql.placeholder(name)` where its values go. The first run
 * builds it (on whichever database or transaction it is given) and keeps its text and its
 * result's shape; every run binds `values` and runs it on the database or transaction given,
 * with drizzle's own encoding of the values (a date, JSON, an array) and mapping of the rows.
 * A placeholder's value must not be null where the column's encoder cannot take one (a
 * timestamp): write `null` into the statement instead (see compiledByShape).
 */
export function compiled<V extends Record<string, unknown>, B extends Builder>(
  build: (db: Queryable) => B,
): (db: Queryable, values: V) => Promise<Awaited<ReturnType<B['execute']>>> {
  let built: Built | undefined
  return (db, values) => {
    if (built === undefined) {
      const first = prepareOf(build(db))
      built = {
        query: first.getQuery(),
        arrayMode: first.isResponseInArrayMode(),
        fields: first.fields,
        customResultMapper: first.customResultMapper,
        joinsNotNullableMap: first.joinsNotNullableMap,
        queryMetadata: first.queryMetadata,
      }
      return first.execute(values) as never
    }
    const session = db._.session as unknown as {
      prepareQuery(
        query: Query,
        fields: unknown,
        name: undefined,
        arrayMode: boolean,
        mapper: unknown,
        metadata: unknown,
      ): PreparedParts
    }
    const prepared = session.prepareQuery(
      built.query,
      built.fields,
      undefined,
      built.arrayMode,
      built.customResultMapper,
      built.queryMetadata,
    )
    prepared.joinsNotNullableMap = built.joinsNotNullableMap
    return prepared.execute(values) as never
  }
}

/**
 * compiled() for a statement whose form depends on its input (the columns an update sets, which
 * of them are null): one compiled statement per shape, named by `shapeOf`. The shapes must be
 * few (a handful of kinds of update), since each is kept for the process's life.
 */
export function compiledByShape<I, V extends Record<string, unknown>, B extends Builder>(
  shapeOf: (input: I) => string,
  build: (db: Queryable, input: I) => B,
): (db: Queryable, input: I, values: V) => Promise<Awaited<ReturnType<B['execute']>>> {
  const byShape = new Map<string, (db: Queryable, values: V) => Promise<Awaited<ReturnType<B['execute']>>>>()
  return (db, input, values) => {
    const shape = shapeOf(input)
    let run = byShape.get(shape)
    if (!run) {
      run = compiled<V, B>((first) => build(first, input))
      byShape.set(shape, run)
    }
    return run(db, values)
  }
}

/** The builder's prepared query, unnamed (drizzle's own `_prepare`, what `execute` runs). */
function prepareOf(builder: Builder): PreparedParts {
  return (builder as unknown as { _prepare(): PreparedParts })._prepare()
}
