import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Transporter } from 'nodemailer'
import { type Clock, systemClock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Env } from '../env.ts'
import type { Mailer, MailMessage } from './mailer.ts'

type MailerEnv = Pick<Env, 'SMTP_URL' | 'MAIL_FROM' | 'DATA_DIR'>

/** SMTP when SMTP_URL is set, else .eml files in DATA_DIR/outbox (logged). */
export function createMailer(env: MailerEnv, logger: Logger, clock: Clock = systemClock): Mailer {
  if (env.SMTP_URL) return createSmtpMailer(env.SMTP_URL, env.MAIL_FROM, clock)
  return createFileMailer(join(env.DATA_DIR, 'outbox'), env.MAIL_FROM, logger, clock)
}

/**
 * nodemailer, loaded by the first message rather than at start: most hub starts send no mail,
 * and its import is a noticeable share of a start.
 */
function lazyTransport(create: (nodemailer: typeof import('nodemailer').default) => Transporter) {
  let transport: Promise<Transporter> | undefined
  return () => {
    transport ??= import('nodemailer').then((m) => create(m.default))
    return transport
  }
}

/** nodemailer's SMTP transport; the URL carries host, port, credentials and smtps:// for TLS. */
export function createSmtpMailer(url: string, from: string, clock: Clock = systemClock): Mailer {
  const transport = lazyTransport((nodemailer) => nodemailer.createTransport(url, { from }))
  return {
    async send(message) {
      await (await transport()).sendMail({ ...message, date: clock.now() })
    },
  }
}

/**
 * Writes each message as an RFC 5322 file (CRLF line endings, MIME-encoded headers) so a
 * self-hosted hub without SMTP still has the invitation and reset links: open the .eml in any
 * mail client, or read the log line. Names start with the UTC time and a per-process counter,
 * so `ls` lists them in send order; the random tail keeps several processes from colliding.
 */
export function createFileMailer(
  dir: string,
  from: string,
  logger: Logger,
  clock: Clock = systemClock,
): Mailer {
  const composer = lazyTransport((nodemailer) =>
    nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' }),
  )
  const outbox = resolve(dir)
  let seq = 0
  return {
    async send(message: MailMessage) {
      const date = clock.now()
      const info = await (await composer()).sendMail({ ...message, from, date })
      const stamp = date.toISOString().replace(/[-:]/g, '').replace('.', '')
      seq = (seq + 1) % 1_000_000
      const name = `${stamp}-${String(seq).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`
      const path = join(outbox, name)
      await mkdir(outbox, { recursive: true })
      // Write then rename: whoever watches the folder never reads a half-written message.
      await writeFile(`${path}.tmp`, info.message, { flag: 'wx' })
      await rename(`${path}.tmp`, path)
      logger.info({ to: message.to, subject: message.subject, path }, `mail written to ${path}`)
    },
  }
}
