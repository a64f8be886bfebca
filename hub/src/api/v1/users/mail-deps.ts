import type { Context } from 'hono'
import type { MailDeps } from '../../../services/users/invitations.ts'
import type { AppEnv } from '../../context.ts'
import { publicBase } from '../../pagination.ts'

export function mailDeps(c: Context<AppEnv>): MailDeps {
  const { mailer, env } = c.var.deps
  return { mailer, env, log: c.var.log, base: publicBase(c) }
}
