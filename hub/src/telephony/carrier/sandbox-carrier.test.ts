import { normalizePhone } from '@switchboard/shared'
import { describe, expect, it } from 'vitest'
import { CarrierError } from './carrier.ts'
import { createSandboxCarrier } from './sandbox-carrier.ts'

describe('sandbox carrier', () => {
  it('offers the same valid numbers of the area on every instance (deterministic)', async () => {
    const a = await createSandboxCarrier().searchAvailable({ country: 'DE', area: '7361', limit: 5 })
    const b = await createSandboxCarrier().searchAvailable({ country: 'DE', area: '7361', limit: 5 })
    expect(a).toEqual(b)
    expect(a).toHaveLength(5)
    for (const n of a) {
      expect(n.e164).toMatch(/^\+497361\d{7}$/)
      expect(normalizePhone(n.e164)?.country).toBe('DE')
    }
  })

  it('keeps Italy’s leading zero and honours excluded numbers', async () => {
    const carrier = createSandboxCarrier()
    const [first, second] = await carrier.searchAvailable({ country: 'IT', area: '2', limit: 2 })
    expect(first!.e164).toMatch(/^\+3902\d{8}$/)
    const next = await carrier.searchAvailable({
      country: 'IT',
      area: '2',
      limit: 1,
      exclude: new Set([first!.e164]),
    })
    expect(next).toEqual([second])
  })

  it('provisions a number once until it is released', async () => {
    const carrier = createSandboxCarrier()
    const [n] = await carrier.searchAvailable({ country: 'US', area: '415', limit: 1 })
    const { carrierRef } = await carrier.provision({ e164: n!.e164 })
    expect(carrierRef).toBe(`sandbox:${n!.e164}`)
    await expect(carrier.provision({ e164: n!.e164 })).rejects.toMatchObject({ retry: false })
    const after = await carrier.searchAvailable({ country: 'US', area: '415', limit: 3 })
    expect(after.map((a) => a.e164)).not.toContain(n!.e164)
    await carrier.release({ carrierRef })
    await carrier.release({ carrierRef })
    await expect(carrier.provision({ e164: n!.e164 })).resolves.toEqual({ carrierRef })
  })

  it('refuses what it cannot provide', async () => {
    const carrier = createSandboxCarrier()
    await expect(carrier.searchAvailable({ country: 'FR', area: '8', limit: 1 })).rejects.toBeInstanceOf(
      CarrierError,
    )
    await expect(carrier.provision({ e164: '+8613800138000' })).rejects.toBeInstanceOf(CarrierError)
    await expect(carrier.provision({ e164: '+3312' })).rejects.toBeInstanceOf(CarrierError)
  })
})
