import type { Context } from 'hono'
import { createLinks } from '../../../core/links.ts'
import type { MailDeps } from '../../../services/users/invitations.ts'
import type { AppEnv } from '../../context.ts'
import { publicBase } from '../../pagination.ts'

export function mailDeps(c: Context<AppEnv>): MailDeps {
  const { mailer, env } = c.var.deps
  return { mailer, env, log: c.var.log, links: createLinks(publicBase(c)) }
}
