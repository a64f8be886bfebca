import { and, asc, eq, getTableColumns, isNull, ne, type SQL, sql } from 'drizzle-orm'
import type { Queryable } from '../../db/client.ts'
import { compiled, compiledByShape } from '../../db/compiled.ts'
import { blacklistedNumbers, callEvents, calls, users } from '../../db/schema/index.ts'
import { routingVersionColumn } from '../routing-world.ts'
import type { CallRow } from './call-object.ts'
import { agentOnCall } from './live-state.ts'

// The statements every call runs, built once (db/compiled.ts): the engine's lock of the call's
// row, its update and its timeline row, a new call's insert, the answering agent's checks.

const id = sql.placeholder('callId')

const lockedColumns = () => ({
  ...getTableColumns(calls),
  routingVersion: routingVersionColumn(calls, calls.companyId),
})

/** The call's row, locked for the transaction, with its company's routing version. */
export const lockCall = compiled((db: Queryable) =>
  db.select(lockedColumns()).from(calls).where(eq(calls.id, id)).for('update', { of: calls }),
)

/** lockCall, for a call of this company only (an action through the API). */
export const lockCompanyCall = compiled((db: Queryable) =>
  db
    .select(lockedColumns())
    .from(calls)
    .where(and(eq(calls.id, id), eq(calls.companyId, sql.placeholder('companyId'))))
    .for('update', { of: calls }),
)

type CallChange = Partial<CallRow>
/** The columns an update sets, each with whether it is set to null. */
type SetColumns = [column: string, isNull: boolean][]

/** One statement per set of columns, the null ones written as null. */
const updateCallByShape = compiledByShape(
  (columns: SetColumns) =>
    columns
      .map(([k, isNull]) => (isNull ? `${k}=null` : k))
      .sort()
      .join(','),
  (db: Queryable, columns: SetColumns) =>
    db
      .update(calls)
      .set(
        Object.fromEntries(
          columns.map(([k, isNull]) => [k, isNull ? null : sql.placeholder(k)]),
        ) as CallChange,
      )
      .where(eq(calls.id, id)),
)

/** Sets the columns `change` names (undefined ones are left alone, as drizzle's `set` does). */
export function updateCall(db: Queryable, callId: number, change: CallChange): Promise<unknown> {
  const columns: SetColumns = Object.entries(change)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, v === null])
  return updateCallByShape(db, columns, { ...change, callId })
}

/**
 * A new inbound call's row, returned with its company's routing version and whether the caller
 * is on the company's blacklist: one statement where there were three.
 */
export const insertInboundCall = compiled((db: Queryable) =>
  db
    .insert(calls)
    .values({
      companyId: sql.placeholder('companyId'),
      numberId: sql.placeholder('numberId'),
      direction: 'inbound',
      status: 'initial',
      externalNumber: sql.placeholder('externalNumber'),
      rawDigits: sql.placeholder('rawDigits'),
      startedAt: sql.placeholder('startedAt'),
      state: sql.placeholder('state'),
      version: 0,
      carrierRef: sql.placeholder('carrierRef'),
    })
    .returning({
      ...lockedColumns(),
      // The table named: drizzle leaves a single table's columns unqualified, which the
      // subquery would read as its own.
      blacklisted: sql<boolean>`exists (select 1 from ${blacklistedNumbers} b
        where b.company_id = ${calls}.company_id and b.e164 = ${calls}.external_number)`,
    }),
)

/** A row of the call's timeline. */
export const insertTimelineRow = compiled((db: Queryable) =>
  db.insert(callEvents).values({
    callId: id,
    seq: sql.placeholder('seq'),
    companyId: sql.placeholder('companyId'),
    at: sql.placeholder('at'),
    type: sql.placeholder('type'),
    data: sql.placeholder('data'),
  }),
)

/** The answering agent's user row, locked: their answers and click-to-calls go one at a time. */
export const lockAgent = compiled((db: Queryable) =>
  db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, sql.placeholder('userId')), eq(users.companyId, sql.placeholder('companyId'))))
    .for('no key update'),
)

/** The ids of the company's calls (placeholder `companyId`) that meet `conditions`. */
const companyCallIds = (db: Queryable, ...conditions: SQL[]) =>
  db
    .select({ id: calls.id })
    .from(calls)
    .where(and(eq(calls.companyId, sql.placeholder('companyId')), ...conditions))

/** A call in progress of the agent's other than this one (at most one row). */
export const agentsOtherCall = compiled((db: Queryable) =>
  companyCallIds(db, agentOnCall(sql.placeholder('userId'))!, ne(calls.id, id)).limit(1),
)

/** The company's other calls in progress that ring this agent (stopped once the agent answers one). */
export const callsRingingAgent = compiled((db: Queryable) =>
  companyCallIds(
    db,
    isNull(calls.endedAt),
    ne(calls.id, id),
    sql`${calls.ringing} @> array[${sql.placeholder('userId')}]::int[]`,
  ),
)

/** The company's calls waiting for an agent (in distribution, ringing no one), oldest first. */
export const waitingCalls = compiled((db: Queryable) =>
  companyCallIds(
    db,
    isNull(calls.endedAt),
    eq(calls.status, 'initial'),
    sql`cardinality(${calls.ringing}) = 0`,
    sql`${calls.state}->>'phase' = 'distribution'`,
  ).orderBy(asc(calls.startedAt)),
)
