import type { Context } from 'hono'
import { createLinks } from '../../../core/links.ts'
import type { Env } from '../../../env.ts'
import type { MailDeps } from '../../../services/users/invitations.ts'
import type { AppEnv } from '../../context.ts'

/**
 * Absolute base of every link the hub mails (invitations, password resets): PUBLIC_URL, else
 * this hub on localhost. Never the request's Host header: whoever sends the request chooses it,
 * and a genuine mail would carry a working token to their host.
 */
export const mailLinkBase = (env: Pick<Env, 'PUBLIC_URL' | 'PORT'>) =>
  env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`

export function mailDeps(c: Context<AppEnv>): MailDeps {
  const { mailer, env } = c.var.deps
  return { mailer, env, log: c.var.log, mailLinks: createLinks(mailLinkBase(env)) }
}
