import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../core/clock.ts'
import { createLogger } from '../core/logger.ts'
import { createMailer } from './create-mailer.ts'
import { invitationMail } from './templates.ts'

/** Splits an RFC 5322 message into unfolded headers and body; checks CRLF line ends on the way. */
function parseEml(raw: string) {
  expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
  const split = raw.indexOf('\r\n\r\n')
  expect(split).toBeGreaterThan(0)
  const headers = new Map<string, string>()
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
  }
  return { headers, body: raw.slice(split + 4) }
}

function captureLogger() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { logger: pino({ level: 'info', base: undefined }, stream), lines }
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0)) await fn()
})

async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'sb-mail-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

describe('file mailer (no SMTP_URL)', () => {
  it('writes each message as a parseable .eml in DATA_DIR/outbox and logs where', async () => {
    const dir = await tempDir()
    const clock = new FakeClock(new Date('2026-03-02T09:00:00.123Z'))
    const { logger, lines } = captureLogger()
    const mailer = createMailer({ DATA_DIR: dir, MAIL_FROM: 'Switchboard <no-reply@sb.test>' }, logger, clock)
    await mailer.send({
      to: 'jane@example.test',
      subject: 'Your invitation',
      text: 'Hello Jane,\nclick here.',
    })
    await mailer.send({ to: 'bob@example.test', subject: 'Second', text: 'Hi Bob' })

    const files = (await readdir(join(dir, 'outbox'))).sort()
    expect(files).toHaveLength(2)
    expect(files.every((f) => /^20260302T090000123Z-\d{6}-[0-9a-f]{8}\.eml$/.test(f))).toBe(true)

    const first = parseEml(await readFile(join(dir, 'outbox', files[0]!), 'utf8'))
    expect(first.headers.get('to')).toBe('jane@example.test')
    expect(first.headers.get('from')).toBe('Switchboard <no-reply@sb.test>')
    expect(first.headers.get('subject')).toBe('Your invitation')
    expect(first.headers.get('date')).toBe('Mon, 02 Mar 2026 09:00:00 +0000')
    expect(first.body).toContain('Hello Jane,\r\nclick here.')
    const second = parseEml(await readFile(join(dir, 'outbox', files[1]!), 'utf8'))
    expect(second.headers.get('to')).toBe('bob@example.test')

    const written = lines.filter((l) => String(l.msg).startsWith('mail written to '))
    expect(written).toHaveLength(2)
    expect(written[0]).toMatchObject({ to: 'jane@example.test', subject: 'Your invitation' })
    expect(written[0]!.msg).toBe(`mail written to ${join(dir, 'outbox', files[0]!)}`)
  })

  it('names files so that listing them gives the send order', async () => {
    const dir = await tempDir()
    const clock = new FakeClock(new Date('2026-03-02T09:00:00Z'))
    const mailer = createMailer({ DATA_DIR: dir, MAIL_FROM: 'x@sb.test' }, createLogger('silent'), clock)
    for (let i = 0; i < 5; i++) {
      await mailer.send({ to: 'a@example.test', subject: `n${i}`, text: '.' })
      if (i === 2) clock.advance(1000)
    }
    const files = (await readdir(join(dir, 'outbox'))).sort()
    const subjects: string[] = []
    for (const f of files) {
      subjects.push(parseEml(await readFile(join(dir, 'outbox', f), 'utf8')).headers.get('subject')!)
    }
    expect(subjects).toEqual(['n0', 'n1', 'n2', 'n3', 'n4'])
  })

  it('keeps an HTML alternative and encodes non-ASCII subjects', async () => {
    const dir = await tempDir()
    const mailer = createMailer({ DATA_DIR: dir, MAIL_FROM: 'x@sb.test' }, createLogger('silent'))
    const message = invitationMail({
      to: 'zoe@example.test',
      language: 'fr-FR',
      companyName: 'Acme',
      inviterName: 'Ada',
      link: 'http://hub.test/invitations/accept?token=abc&x=1',
      ttlHours: 72,
    })
    await mailer.send(message)
    const [file] = await readdir(join(dir, 'outbox'))
    const raw = await readFile(join(dir, 'outbox', file!), 'utf8')
    const eml = parseEml(raw)
    expect(eml.headers.get('subject')).toMatch(/^=\?UTF-8\?Q\?Invitation_=C3=A0_rejoindre/)
    expect(eml.headers.get('content-type')).toMatch(/^multipart\/alternative/)
    expect(raw).toContain('text/html')
    expect(raw).toContain('token=3Dabc&amp;x=3D1')
  })
})

/** A loopback SMTP server that speaks just enough (EHLO/MAIL/RCPT/DATA/QUIT) and keeps what it got. */
async function startSmtpServer() {
  const received: { from: string; to: string[]; data: string }[] = []
  const server: Server = createServer((socket) => {
    let buffer = ''
    let inData = false
    let current = { from: '', to: [] as string[], data: '' }
    socket.setEncoding('utf8')
    socket.write('220 localhost ESMTP test\r\n')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      while (true) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n')
          if (end < 0) return
          current.data = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.')
          buffer = buffer.slice(end + 5)
          inData = false
          received.push(current)
          current = { from: '', to: [], data: '' }
          socket.write('250 2.0.0 queued\r\n')
          continue
        }
        const eol = buffer.indexOf('\r\n')
        if (eol < 0) return
        const line = buffer.slice(0, eol)
        buffer = buffer.slice(eol + 2)
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250-localhost\r\n250 8BITMIME\r\n')
        else if (verb === 'MAIL') {
          current.from = /<(.*)>/.exec(line)?.[1] ?? ''
          socket.write('250 2.1.0 ok\r\n')
        } else if (verb === 'RCPT') {
          current.to.push(/<(.*)>/.exec(line)?.[1] ?? '')
          socket.write('250 2.1.5 ok\r\n')
        } else if (verb === 'DATA') {
          inData = true
          socket.write('354 go ahead\r\n')
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n')
        } else if (verb === 'RSET' || verb === 'NOOP') socket.write('250 ok\r\n')
        else socket.write('502 not implemented\r\n')
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())))
  return { url: `smtp://127.0.0.1:${address.port}`, received }
}

describe('SMTP mailer (SMTP_URL set)', () => {
  it('delivers the message over SMTP with the configured sender', async () => {
    const smtp = await startSmtpServer()
    const dir = await tempDir()
    const mailer = createMailer(
      { SMTP_URL: smtp.url, DATA_DIR: dir, MAIL_FROM: 'Switchboard <no-reply@sb.test>' },
      createLogger('silent'),
    )
    await mailer.send({
      to: 'jane@example.test',
      subject: 'Hello over SMTP',
      text: 'Line one\n.starts with a dot',
    })
    expect(smtp.received).toHaveLength(1)
    const [mail] = smtp.received
    expect(mail!.from).toBe('no-reply@sb.test')
    expect(mail!.to).toEqual(['jane@example.test'])
    const eml = parseEml(`${mail!.data}\r\n`)
    expect(eml.headers.get('subject')).toBe('Hello over SMTP')
    expect(eml.headers.get('to')).toBe('jane@example.test')
    expect(eml.body).toContain('Line one\r\n.starts with a dot')
    // Nothing goes to the outbox folder when SMTP is configured.
    await expect(readdir(join(dir, 'outbox'))).rejects.toThrow()
  })

  it('fails the send when the server refuses the recipient', async () => {
    const refusing = createServer((socket) => {
      socket.write('220 localhost\r\n')
      socket.on('data', (chunk) => {
        const line = String(chunk)
        if (/^(EHLO|HELO)/i.test(line)) socket.write('250 localhost\r\n')
        else if (/^MAIL/i.test(line)) socket.write('250 ok\r\n')
        else if (/^RCPT/i.test(line)) socket.write('550 5.1.1 no such user\r\n')
        else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n')
        else socket.write('250 ok\r\n')
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((ok) => refusing.listen(0, '127.0.0.1', ok))
    cleanups.push(() => new Promise<void>((ok) => refusing.close(() => ok())))
    const address = refusing.address()
    if (!address || typeof address === 'string') throw new Error('no port')
    const mailer = createMailer(
      { SMTP_URL: `smtp://127.0.0.1:${address.port}`, DATA_DIR: '/nonexistent', MAIL_FROM: 'x@sb.test' },
      createLogger('silent'),
    )
    await expect(mailer.send({ to: 'ghost@example.test', subject: 's', text: 't' })).rejects.toThrow(/550/)
  })
})
