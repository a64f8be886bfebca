import type { Env } from '../env.ts'
import type { Logger } from '../logger.ts'
import type { Mailer } from './mailer.ts'

/** SMTP when SMTP_URL is set, else .eml files in DATA_DIR/outbox (logged). */
export function createMailer(_env: Env, _logger: Logger): Mailer {
  throw new Error('not implemented yet (mail work in progress)')
}
