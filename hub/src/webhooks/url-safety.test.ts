import type { LookupAddress } from 'node:dns'
import { describe, expect, it, vi } from 'vitest'
import {
  checkWebhookUrl,
  isPublicAddress,
  parseWebhookUrl,
  publicOnlyLookup,
  WebhookUrlError,
} from './url-safety.ts'

/**
 * A DNS of our own, so no test asks a real resolver (loopback only) and the answers are known:
 * a public name, a name of the internal network, a name with both, and nothing else.
 */
vi.mock('node:dns', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:dns')>()
  const zone: Record<string, LookupAddress[]> = {
    localhost: [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ],
    'www.example.com': [{ address: '93.184.215.14', family: 4 }],
    'db.corp.example.com': [{ address: '10.0.0.5', family: 4 }],
    'mixed.example.com': [
      { address: '93.184.215.14', family: 4 },
      { address: '::ffff:0:a9fe:a9fe', family: 6 },
    ],
  }
  const lookup = (
    host: string,
    options: { all?: boolean; family?: number },
    callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => {
    const found = (zone[host] ?? []).filter((a) => !options.family || a.family === options.family)
    if (found.length > 0) return queueMicrotask(() => callback(null, found))
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`)
    err.code = 'ENOTFOUND'
    queueMicrotask(() => callback(err, []))
  }
  return { ...real, lookup, default: { ...real, lookup } }
})

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fc00::1',
    'fdff:ffff::1',
    'fe80::1',
    'febf::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    // IPv6 forms that carry a private IPv4 address: IPv4-compatible, NAT64, 6to4; Teredo and
    // local-use NAT64 wholesale.
    '::127.0.0.1',
    '::a9fe:a9fe',
    '64:ff9b::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::1',
    '2002:a00:1::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '64:ff9b:1::a00:1',
    // IPv4-translated (SIIT, ::ffff:0:0/96): the IPv4 address it carries decides.
    '::ffff:0:127.0.0.1',
    '::ffff:0:a00:1',
    '::ffff:0:a9fe:a9fe',
    '::ffff:0:0.0.0.0',
    // Discard-only prefix (RFC 6666).
    '100::',
    '100::1',
    '100::ffff:ffff:ffff:ffff',
    'not-an-ip',
  ])('refuses %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(false)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:4860:4860::8888',
    '::ffff:0:808:808',
    '::ffff:0:1.1.1.1',
    // Just past the discard-only /64.
    '100:0:0:1::1',
  ])('accepts %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true)
  })
})

describe('parseWebhookUrl / checkWebhookUrl', () => {
  const strict = { allowPrivate: false }
  const lax = { allowPrivate: true }

  it('requires an absolute https URL unless private addresses are allowed', () => {
    expect(() => parseWebhookUrl('/relative', strict)).toThrow(WebhookUrlError)
    expect(() => parseWebhookUrl('http://example.com/x', strict)).toThrow(/https/)
    expect(() => parseWebhookUrl('ftp://example.com/x', lax)).toThrow(/http or https/)
    expect(parseWebhookUrl('http://127.0.0.1:9/x', lax).port).toBe('9')
    expect(parseWebhookUrl('https://hooks.example.com/x', strict).hostname).toBe('hooks.example.com')
  })

  it('refuses private IP literals and local names without asking DNS', async () => {
    for (const url of ['https://127.0.0.1/', 'https://[::1]/', 'https://localhost/', 'https://intranet/']) {
      await expect(checkWebhookUrl(url, strict), url).rejects.toThrow(WebhookUrlError)
    }
    await expect(checkWebhookUrl('https://8.8.8.8/hook', strict)).resolves.toBeInstanceOf(URL)
  })

  it('accepts a name whose addresses are all public', async () => {
    const url = await checkWebhookUrl('https://www.example.com/hook', strict)
    expect(url.hostname).toBe('www.example.com')
  })

  it('answers alike for an internal name and a name that does not resolve (no probing of internal DNS)', async () => {
    const refusal = async (host: string) => {
      const err = await checkWebhookUrl(`https://${host}/hook`, strict).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err, host).toBeInstanceOf(WebhookUrlError)
      return err instanceof WebhookUrlError ? err.message.replace(host, 'HOST') : ''
    }
    const internal = await refusal('db.corp.example.com')
    expect(internal).toBe('host HOST is not a public address')
    expect(await refusal('nowhere.example.com')).toBe(internal)
    // One private address among public ones is enough to refuse.
    expect(await refusal('mixed.example.com')).toBe(internal)
    // Never the internal address itself.
    expect(internal).not.toMatch(/10\.0\.0\.5/)
  })
})

describe('publicOnlyLookup', () => {
  const lookup = (host: string, options: { all?: boolean }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) =>
      publicOnlyLookup(host, options, (err, address) => resolve({ err, address })),
    )

  it('hands public addresses to the socket', async () => {
    const one = await lookup('www.example.com', { all: false })
    expect(one).toEqual({ err: null, address: '93.184.215.14' })
    const all = await lookup('www.example.com', { all: true })
    expect(all.address).toEqual([{ address: '93.184.215.14', family: 4 }])
  })

  it('hands no private address to the socket', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', { all })
      expect(err).toBeInstanceOf(WebhookUrlError)
      expect(err?.message).toBe('host localhost is not a public address')
      // The message reaches the tenant (delivery last_error): it must not map internal names.
      expect(err?.message).not.toMatch(/127\.0\.0\.1|::1/)
    }
  })
})
