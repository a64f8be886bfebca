import { describe, expect, it } from 'vitest'
import { clientKey, UNKNOWN_CLIENT } from './client-key.ts'

describe('clientKey', () => {
  it('counts an IPv4 client by its address, also when mapped into IPv6', () => {
    expect(clientKey('203.0.113.5')).toBe('203.0.113.5')
    expect(clientKey('::ffff:203.0.113.5')).toBe('203.0.113.5')
    expect(clientKey('::FFFF:203.0.113.5')).toBe('203.0.113.5')
  })

  it('counts an IPv6 client by its /64, however the address is written', () => {
    const key = '2001:db8:aa:1::/64'
    for (const address of [
      '2001:db8:aa:1::1',
      '2001:0db8:00aa:0001:ffff:ffff:ffff:ffff',
      '2001:DB8:AA:1:0:0:0:2',
      '2001:db8:aa:1::1%eth0',
    ]) {
      expect(clientKey(address), address).toBe(key)
    }
    expect(clientKey('2001:db8:aa:2::1')).not.toBe(key)
    expect(clientKey('::1')).toBe('0:0:0:0::/64')
    expect(clientKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
  })

  it('answers the unknown client for no or a malformed address', () => {
    for (const address of [undefined, '', 'attacker', '1.2.3', '999.1.1.1', '1::2::3']) {
      expect(clientKey(address)).toBe(UNKNOWN_CLIENT)
    }
  })
})
