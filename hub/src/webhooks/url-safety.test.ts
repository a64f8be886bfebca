import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import {
  checkWebhookUrl,
  isPublicAddress,
  parseWebhookUrl,
  publicOnlyLookup,
  WebhookUrlError,
} from './url-safety.ts'

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
})

describe('publicOnlyLookup', () => {
  const lookup = (host: string, options: { all?: boolean }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) =>
      publicOnlyLookup(host, options, (err, address) => resolve({ err, address })),
    )

  it('hands no private address to the socket', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', { all })
      expect(err).toBeInstanceOf(WebhookUrlError)
      expect(err?.message).toMatch(/private, loopback or reserved/)
      // The message reaches the tenant (delivery last_error): it must not map internal names.
      expect(err?.message).not.toMatch(/127\.0\.0\.1|::1/)
    }
  })
})
