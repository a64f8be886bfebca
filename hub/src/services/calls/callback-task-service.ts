import { and, count, eq, inArray, isNotNull, isNull, type SQL } from 'drizzle-orm'
import { DomainError, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { callbackTasks, numbers } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { numbersOfUsers } from '../numbers/user-numbers.ts'

/**
 * Callback tasks: callers who pressed `*` while waiting (telephony/engine/callback-request.ts).
 * An agent sees and closes the tasks of the numbers they are assigned to (the Number's
 * `users`); admins and API keys, every task of the company. A task another agent cannot see
 * is not found, as another company's.
 */
export type CallbackTaskStatus = 'open' | 'done' | 'all'
type TaskRow = typeof callbackTasks.$inferSelect

const unix = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null)

/** The number ids an agent's tasks come from; null: every number (admins, API keys). */
async function visibleNumberIds(ctx: ServiceContext): Promise<number[] | null> {
  if (ctx.actor.type !== 'user' || ctx.actor.role === 'admin') return null
  const mine = await numbersOfUsers(ctx.db, ctx.companyId, ctx.links, ctx.clock.now(), [ctx.actor.userId])
  return (mine.get(ctx.actor.userId) ?? []).map((n) => n.id)
}

async function toJson(ctx: ServiceContext, rows: TaskRow[]) {
  const ids = [...new Set(rows.map((r) => r.numberId))]
  const numberRows =
    ids.length === 0
      ? []
      : await ctx.db
          .select({ id: numbers.id, name: numbers.name, e164: numbers.e164 })
          .from(numbers)
          .where(and(eq(numbers.companyId, ctx.companyId), inArray(numbers.id, ids)))
  const byId = new Map(numberRows.map((n) => [n.id, n]))
  return rows.map((r) => {
    const n = byId.get(r.numberId)
    return {
      id: r.id,
      status: r.doneAt ? ('done' as const) : ('open' as const),
      call_id: r.callId,
      call_link: ctx.links.to(`/v1/calls/${r.callId}`),
      phone_number: r.externalNumber,
      raw_digits: r.rawDigits,
      number: n ? { id: n.id, name: n.name, digits: n.e164, direct_link: ctx.links.number(n.id) } : null,
      created_at: unix(r.createdAt)!,
      done_at: unix(r.doneAt),
      done_by: r.doneBy === null ? null : { id: r.doneBy, direct_link: ctx.links.user(r.doneBy) },
    }
  })
}

export type CallbackTaskJson = Awaited<ReturnType<typeof toJson>>[number]

export async function listCallbackTasks(
  ctx: ServiceContext,
  q: PaginationQuery & { status: CallbackTaskStatus },
): Promise<{ tasks: CallbackTaskJson[]; total: number }> {
  const numberIds = await visibleNumberIds(ctx)
  if (numberIds?.length === 0) return { tasks: [], total: 0 }
  const conditions: (SQL | undefined)[] = [
    eq(callbackTasks.companyId, ctx.companyId),
    timeRange(callbackTasks.createdAt, q),
    numberIds ? inArray(callbackTasks.numberId, numberIds) : undefined,
    q.status === 'open'
      ? isNull(callbackTasks.doneAt)
      : q.status === 'done'
        ? isNotNull(callbackTasks.doneAt)
        : undefined,
  ]
  const where = and(...conditions)
  const { offset, limit } = pageWindow(q)
  const [totalRow] = await ctx.db.select({ n: count() }).from(callbackTasks).where(where)
  const rows = await ctx.db
    .select()
    .from(callbackTasks)
    .where(where)
    .orderBy(...orderBy(callbackTasks.createdAt, q, callbackTasks.id))
    .offset(offset)
    .limit(limit)
  return { tasks: await toJson(ctx, rows), total: totalRow?.n ?? 0 }
}

/** Marks the task done (the caller was called back); marking it again changes nothing. */
export async function completeCallbackTask(ctx: ServiceContext, taskId: number): Promise<CallbackTaskJson> {
  const numberIds = await visibleNumberIds(ctx)
  const row = await ctx.db.transaction(async (tx) => {
    const [task] = await tx
      .select()
      .from(callbackTasks)
      .where(and(eq(callbackTasks.companyId, ctx.companyId), eq(callbackTasks.id, taskId)))
      .for('update')
    if (!task || (numberIds && !numberIds.includes(task.numberId))) throw notFound('Callback task not found')
    if (task.doneAt) return task
    const [done] = await tx
      .update(callbackTasks)
      .set({ doneAt: ctx.clock.now(), doneBy: ctx.actor.type === 'user' ? ctx.actor.userId : null })
      .where(eq(callbackTasks.id, task.id))
      .returning()
    return done!
  })
  const [json] = await toJson(ctx, [row])
  if (!json) throw new DomainError('internal', 'Callback task vanished')
  return json
}
