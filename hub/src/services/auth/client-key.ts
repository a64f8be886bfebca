import { isIP } from 'node:net'

/** What login throttling and the password-hashing gate key a client by when its address is unknown. */
export const UNKNOWN_CLIENT = 'unknown'

/**
 * The unit a client is counted by: an IPv4 address, or the /64 an IPv6 address belongs to (one
 * subscriber usually holds a whole /64, so counting single IPv6 addresses would let one client
 * be a billion clients). An IPv4-mapped IPv6 address (`::ffff:203.0.113.5`) is its IPv4 address.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return UNKNOWN_CLIENT
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)
  const ip = mapped ? mapped[1]! : address
  const family = isIP(ip)
  if (family === 4) return ip
  if (family !== 6) return UNKNOWN_CLIENT
  const groups = expandIpv6(ip.replace(/%.*$/, ''))
  return `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address, as lowercase hex without leading zeros. */
function expandIpv6(ip: string): string[] {
  let text = ip.toLowerCase()
  // A trailing dotted IPv4 part (::1.2.3.4, 64:ff9b::1.2.3.4) is two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0')
  return [...left, ...middle, ...right].map((g) => Number.parseInt(g, 16).toString(16))
}
