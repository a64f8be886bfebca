import type { Context } from 'hono'
import type { ServiceContext } from '../services/context.ts'
import type { AppEnv } from './context.ts'

export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const { db, clock } = c.var.deps
  return { db, clock, actor: c.var.actor, companyId: c.var.actor.companyId }
}
