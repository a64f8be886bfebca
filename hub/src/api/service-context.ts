import type { Context } from 'hono'
import { createLinks } from '../core/links.ts'
import type { ServiceContext } from '../services/context.ts'
import type { AppEnv } from './context.ts'
import { publicBase } from './pagination.ts'

export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const { db, clock } = c.var.deps
  return {
    db,
    clock,
    actor: c.var.actor,
    companyId: c.var.actor.companyId,
    links: createLinks(publicBase(c)),
  }
}
