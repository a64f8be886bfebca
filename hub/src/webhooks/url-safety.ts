import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'

/**
 * Outgoing webhooks are a server-side request forgery vector: an admin of one company could
 * point a webhook at our own network (metadata service, Redis, the database). We refuse
 * hosts that are, or resolve to, anything but public unicast addresses — at create/update,
 * and again when delivering (DNS answers change), where the check runs inside the socket's
 * own lookup so there is no gap between checking and connecting.
 *
 * The audio URLs of PUT /v1/numbers/:id `messages` go through the same guard.
 *
 * `allowPrivate` lifts all of it (and allows plain http): WEBHOOKS_ALLOW_PRIVATE for webhooks
 * (self-hosted setups whose receivers live on the LAN, tests), AUDIO_URLS_ALLOW_PRIVATE for
 * the audio downloads, so allowing LAN webhooks does not let tenants make the hub GET
 * internal URLs.
 */
const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 included
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast included
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['2001::', 32], // Teredo: tunnels to an IPv4 address we cannot judge
  ['100::', 64], // discard-only (RFC 6666)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6')
}

/** The 8 hextets of a valid IPv6 address (zone dropped, a dotted IPv4 tail read as two). */
function hextets(address: string): number[] {
  let a = address.split('%')[0]!.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a)
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number]
    a = `${a.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)))
  const [head = '', tail] = a.split('::')
  if (tail === undefined) return groups(head)
  const h = groups(head)
  const t = groups(tail)
  return [...h, ...new Array<number>(Math.max(0, 8 - h.length - t.length)).fill(0), ...t]
}

/**
 * The IPv4 address an IPv6 address stands for on the way out: IPv4-compatible (::a.b.c.d),
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d, SIIT, RFC 2765), NAT64
 * (64:ff9b::a.b.c.d, RFC 6052) and 6to4 (2002:AABB:CCDD::/48). The socket, a translator, a
 * NAT64 gateway or a 6to4 relay would carry the connection to that IPv4 address, so it is
 * what must be public.
 */
function embeddedIPv4(address: string): string | null {
  const h = hextets(address)
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0)
  if (h.length !== 8) return null
  if (zeros(0, 6)) return v4(h[6]!, h[7]!)
  if (zeros(0, 5) && h[5] === 0xffff) return v4(h[6]!, h[7]!)
  if (zeros(0, 4) && h[4] === 0xffff && h[5] === 0) return v4(h[6]!, h[7]!)
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return v4(h[6]!, h[7]!)
  if (h[0] === 0x2002) return v4(h[1]!, h[2]!)
  return null
}

/**
 * True for a public unicast IP. An IPv6 address that embeds an IPv4 address (embeddedIPv4) is
 * judged as that IPv4 address too. Anything that is not an IP is not public.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  if (family === 6) {
    const v4 = embeddedIPv4(address)
    if (v4 !== null && !isPublicAddress(v4)) return false
  }
  return !blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

export class WebhookUrlError extends Error {
  override name = 'WebhookUrlError'
}

export type UrlPolicy = { allowPrivate: boolean }

/** The host of a URL without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1')

/** Checks everything that does not need DNS: a parseable absolute URL, https (or http when allowed). */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new WebhookUrlError('must be an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowPrivate)) {
    throw new WebhookUrlError(
      policy.allowPrivate ? 'must be an http or https URL' : 'must be an https URL (Aircall requires https)',
    )
  }
  if (!url.hostname) throw new WebhookUrlError('must name a host')
  if (policy.allowPrivate) return url
  const host = hostOf(url).toLowerCase()
  if (isIP(host)) {
    if (!isPublicAddress(host))
      throw new WebhookUrlError(`host ${host} is a private, loopback or reserved address`)
  } else if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    throw new WebhookUrlError(`host ${host} is not a public host name`)
  }
  return url
}

function lookupAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    )
  })
}

/** The refusal of a host name that does not resolve to public addresses only (or at all). */
const notPublic = (host: string) => `host ${host} is not a public address`

/** parseWebhookUrl, then resolves the host and refuses it if any of its addresses is not public. */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<URL> {
  const url = parseWebhookUrl(raw, policy)
  const host = hostOf(url)
  if (policy.allowPrivate || isIP(host)) return url
  // A name that does not resolve and a name of the internal network get the same answer:
  // the message reaches the tenant, who must not learn which internal names exist.
  let addresses: LookupAddress[] = []
  try {
    addresses = await lookupAll(host)
  } catch {
    // refused below, like a private name
  }
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
    throw new WebhookUrlError(notPublic(host))
  }
  return url
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for http.request that only hands public addresses to the socket: the delivery
 * connects to exactly the address that was checked (no DNS-rebinding window).
 */
export function publicOnlyLookup(
  hostname: string,
  options: { family?: number | string; all?: boolean },
  callback: LookupCallback,
): void {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0)
  dnsLookup(hostname, { all: true, family: family === 4 || family === 6 ? family : 0 }, (err, addresses) => {
    if (err) return callback(err, [])
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
      // Kept as the delivery's last_error, which the tenant reads: no internal address in it.
      const refusal: NodeJS.ErrnoException = new WebhookUrlError(notPublic(hostname))
      refusal.code = 'ESWITCHBOARDPRIVATE'
      return callback(refusal, [])
    }
    if (options.all) return callback(null, addresses)
    const first = addresses[0]!
    callback(null, first.address, first.family)
  })
}
