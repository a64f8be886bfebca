import { describe, expect, it } from 'vitest'
import { createDeliveryShares, FORGET_AFTER_MS } from './delivery-shares.ts'

function sharesAt(options: { waitMs?: number } = {}) {
  let t = 1_000_000
  const shares = createDeliveryShares({
    perCompany: 2,
    waitMs: options.waitMs ?? 50,
    slowMs: 250,
    initialAnswerMs: 5_000,
    now: () => t,
  })
  return { shares, advance: (ms: number) => (t += ms) }
}

describe('delivery shares', () => {
  it('holds a company not heard from yet to its share; the next delivery steps aside after the wait', async () => {
    const { shares } = sharesAt()
    const a = await shares.acquire(1, 1)
    const b = await shares.acquire(1, 1)
    expect(a && b).toBeTruthy()
    expect(await shares.acquire(1, 1)).toBeNull()
    // Another company is not affected.
    expect(await shares.acquire(2, 2)).not.toBeNull()
  })

  it('hands a freed slot to the company’s waiting delivery', async () => {
    const { shares, advance } = sharesAt()
    const a = (await shares.acquire(1, 1))!
    await shares.acquire(1, 1)
    const waiting = shares.acquire(1, 1)
    advance(10)
    a.release()
    expect(await waiting).not.toBeNull()
  })

  it('lets a company whose receiver answers quickly send past its share', async () => {
    const { shares, advance } = sharesAt()
    for (let i = 0; i < 3; i++) {
      const slot = (await shares.acquire(7, 7))!
      advance(20)
      slot.release()
    }
    const held = [await shares.acquire(7, 7), await shares.acquire(7, 7), await shares.acquire(7, 7)]
    expect(held.every((s) => s !== null)).toBe(true)
    // Until one of its sends has run for the slow threshold.
    advance(300)
    expect(await shares.acquire(7, 7)).toBeNull()
  })

  it('sends a company known to be slow aside at once, without holding the queue slot', async () => {
    // A wait long enough that the test would time out if the delivery waited.
    const { shares, advance } = sharesAt({ waitMs: 60_000 })
    const first = (await shares.acquire(5, 5))!
    advance(2_000)
    first.release()
    await shares.acquire(5, 5)
    await shares.acquire(5, 5)
    expect(await shares.acquire(5, 5)).toBeNull()
  })

  it('spaces a slow company’s deferred deliveries at the pace of its answers', async () => {
    const { shares, advance } = sharesAt()
    const slot = (await shares.acquire(3, 3))!
    advance(4_000)
    slot.release()
    // Answers take about 4 s and it may send 2 at once: one back every 2 s.
    expect([shares.deferral(3), shares.deferral(3), shares.deferral(3)]).toEqual([2_000, 4_000, 6_000])
    // Not heard from: the delivery timeout is the assumed answer time.
    expect(shares.deferral(4)).toBe(2_500)
  })

  it('does not hold a fast receiver back behind its company’s slow one', async () => {
    const { shares, advance } = sharesAt()
    // Receiver 11 answers quickly; receiver 12, of the same company, is stuck.
    const quick = (await shares.acquire(1, 11))!
    advance(20)
    quick.release()
    await shares.acquire(1, 12)
    await shares.acquire(1, 12)
    advance(300)
    expect(await shares.acquire(1, 12)).toBeNull()
    const sends = [await shares.acquire(1, 11), await shares.acquire(1, 11), await shares.acquire(1, 11)]
    expect(sends.every((s) => s !== null)).toBe(true)
  })

  it('gives a receiver not heard from yet one send while its company’s share is taken', async () => {
    // A wait long enough that the test would time out if the delivery waited.
    const { shares, advance } = sharesAt({ waitMs: 60_000 })
    await shares.acquire(1, 12)
    await shares.acquire(1, 12)
    advance(300)
    // A new webhook of the company: its first send goes, to learn its pace.
    const probe = (await shares.acquire(1, 13))!
    expect(probe).not.toBeNull()
    // Its next one waits for that answer: a quick one lets it through.
    const next = shares.acquire(1, 13)
    advance(20)
    probe.release()
    expect(await next).not.toBeNull()
    // The stuck receiver still steps aside; another company is not affected.
    expect(await shares.acquire(1, 12)).toBeNull()
    expect(await shares.acquire(2, 21)).not.toBeNull()
  })

  it('spaces each receiver’s deferred deliveries at its own pace', async () => {
    const { shares, advance } = sharesAt()
    const slow = (await shares.acquire(1, 11))!
    const slower = (await shares.acquire(1, 12))!
    advance(4_000)
    slow.release()
    advance(4_000)
    slower.release()
    expect([shares.deferral(11), shares.deferral(11)]).toEqual([2_000, 4_000])
    expect([shares.deferral(12), shares.deferral(12)]).toEqual([4_000, 8_000])
  })

  it('forgets a receiver it has not sent to for an hour, and keeps those in use', async () => {
    const { shares, advance } = sharesAt()
    const send = async (receiverId: number, tookMs: number) => {
      const slot = (await shares.acquire(1, receiverId))!
      advance(tookMs)
      slot.release()
    }
    // Receiver 3 answers in 4 s, receiver 4 in 6 s half an hour later.
    await send(3, 4_000)
    advance(FORGET_AFTER_MS / 2)
    await send(4, 6_000)
    advance(FORGET_AFTER_MS / 2)
    // Another receiver's send an hour after receiver 3's: 3 is forgotten, 4 is not.
    await send(9, 10)
    // Not heard from again: the delivery timeout (5 s) is its assumed answer time.
    expect(shares.deferral(3)).toBe(2_500)
    expect(shares.deferral(4)).toBe(3_000)
  })
})
