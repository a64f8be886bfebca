import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../core/clock.ts'
import { RetryLaterError } from '../../core/errors.ts'
import { createLogger } from '../../core/logger.ts'
import { createCallAdmission } from './call-admission.ts'

/** An admission whose engine lag the test sets, counting how often it is read. */
function admissionWith(limits: Parameters<typeof createCallAdmission>[0]['limits'] = {}) {
  const clock = new FakeClock(new Date('2026-03-02T09:00:00Z'))
  const engine = { lagMs: 0, reads: 0, fail: false, hang: false }
  const admission = createCallAdmission({
    clock,
    logger: createLogger('silent'),
    lagMs: async () => {
      engine.reads++
      if (engine.hang) return new Promise<number>(() => {})
      if (engine.fail) throw new Error('database unreachable')
      return engine.lagMs
    },
    limits: { maxLagMs: 2000, probeMs: 500, ...limits },
  })
  let setUps = 0
  /** Offers a call of the company: 'admitted' once its set-up ran, or the refusal's message. */
  const offer = async (companyId: number) => {
    try {
      return await admission.admit(companyId, async () => {
        setUps++
        return 'admitted'
      })
    } catch (err) {
      if (!(err instanceof RetryLaterError)) throw err
      expect(err.code).toBe('unavailable')
      expect(err.retryAfterSeconds).toBe(1)
      return `refused: ${err.message}`
    }
  }
  return { clock, engine, admission, offer, setUps: () => setUps }
}

describe('call admission: the engine’s lag', () => {
  it('lets calls in while the engine keeps up, refuses them without setting them up once it runs late', async () => {
    const { admission, clock, engine, offer, setUps } = admissionWith()
    engine.lagMs = 1900
    expect(await offer(1)).toBe('admitted')
    // A reading this old (4 probe intervals) is waited for.
    engine.lagMs = 2600
    clock.advance(2000)
    expect(await offer(1)).toBe(
      'refused: The hub is saturated and takes no new call for now; retry in a moment',
    )
    expect(admission.state.lagMs).toBe(2600)
    expect(setUps()).toBe(1)
    // Back in time: calls get in again at the next reading.
    engine.lagMs = 300
    clock.advance(2000)
    expect(await offer(1)).toBe('admitted')
  })

  it('sheds the companies offering the most calls first, a share falling as the lag grows, and everyone from twice the limit', async () => {
    const { clock, engine, offer } = admissionWith()
    // Company 1 offers a call every 100 ms, company 2 one call in all.
    for (let i = 0; i < 30; i++) {
      expect(await offer(1)).toBe('admitted')
      clock.advance(100)
    }
    // Half-way between the limit and twice it: every other call of company 1 is let in, all
    // of company 2's.
    engine.lagMs = 3000
    clock.advance(2000)
    const heavy: string[] = []
    for (let i = 0; i < 8; i++) heavy.push(await offer(1))
    expect(heavy.map((o) => o.split(':')[0])).toEqual([
      'refused',
      'admitted',
      'refused',
      'admitted',
      'refused',
      'admitted',
      'refused',
      'admitted',
    ])
    expect(heavy[0]).toBe('refused: The hub is saturated and takes no new call for now; retry in a moment')
    expect(await offer(2)).toBe('admitted')
    // Closer to twice the limit, a smaller share: one call in four.
    engine.lagMs = 3500
    clock.advance(2000)
    const fewer: string[] = []
    for (let i = 0; i < 8; i++) fewer.push(await offer(1))
    expect(fewer.filter((o) => o === 'admitted')).toHaveLength(2)
    // A company that starts flooding is shed in turn once it offers more than the average.
    for (let i = 0; i < 40; i++) await offer(2)
    const flooding: string[] = []
    for (let i = 0; i < 8; i++) flooding.push(await offer(2))
    expect(flooding.filter((o) => o === 'admitted')).toHaveLength(2)
    engine.lagMs = 4000
    clock.advance(2000)
    expect(await offer(3)).toMatch(/^refused/)
  })

  it('reads the lag once per probe interval, behind the calls, and waits for a reading only when it is stale', async () => {
    const { admission, clock, engine, offer } = admissionWith({ probeMs: 500 })
    await Promise.all([offer(1), offer(2), offer(3)])
    expect(engine.reads).toBe(1)
    clock.advance(499)
    await offer(1)
    expect(engine.reads).toBe(1)
    // Due again: read in the background; this call goes by the last reading.
    engine.lagMs = 5000
    clock.advance(1)
    expect(await offer(1)).toBe('admitted')
    expect(engine.reads).toBe(2)
    await new Promise((resolve) => setImmediate(resolve))
    expect(admission.state.lagMs).toBe(5000)
    expect(await offer(1)).toMatch(/^refused/)
    expect(engine.reads).toBe(2)
    // A failed read keeps the last reading.
    engine.fail = true
    clock.advance(2000)
    expect(await offer(1)).toMatch(/^refused/)
    expect(engine.reads).toBe(3)
    // A read that never answers holds a call at most a second, then the last reading stands.
    engine.fail = false
    engine.hang = true
    clock.advance(2000)
    const started = Date.now()
    expect(await offer(1)).toMatch(/^refused/)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(engine.reads).toBe(4)
  })
})

describe('call admission: set-ups at once', () => {
  it('queues a burst in a bounded room, each company filling at most half of what the others leave', async () => {
    const { admission } = admissionWith({ starting: 2, waiting: 4, roomShare: 0.5 })
    const releases: (() => void)[] = []
    const outcomes: string[] = []
    const hold = (companyId: number, name: string) =>
      admission
        .admit(companyId, () => new Promise<string>((resolve) => releases.push(() => resolve(name))))
        .then(
          (v) => outcomes.push(v),
          (err: Error) => outcomes.push(`${name} refused: ${err.message}`),
        )
    const runs = [
      ...['a1', 'a2', 'a3', 'a4', 'a5'].map((name) => hold(1, name)),
      ...['b1', 'b2'].map((name) => hold(2, name)),
      hold(3, 'c1'),
      hold(4, 'd1'),
    ]
    await new Promise((resolve) => setImmediate(resolve))
    // a1 and a2 set up, a3 and a4 wait (half the room), a5 is refused; b1 waits (half of the
    // two places left), b2 is refused; c1 takes the last place; d1 finds the room full.
    expect(admission.state).toMatchObject({ starting: 2, waiting: 4 })
    expect(outcomes).toEqual([
      "a5 refused: Too many of this company's calls are being set up at once; retry in a moment",
      "b2 refused: Too many of this company's calls are being set up at once; retry in a moment",
      'd1 refused: The hub is saturated and takes no new call for now; retry in a moment',
    ])
    while (releases.length > 0) {
      releases.shift()!()
      await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(runs)
    // Served in turns: company 1's next set-up, then 2's and 3's, before its last.
    expect(outcomes.slice(3)).toEqual(['a1', 'a2', 'a3', 'b1', 'c1', 'a4'])
    expect(admission.state).toMatchObject({ starting: 0, waiting: 0 })
  })

  it('refuses a set-up that waited for its turn longer than allowed', async () => {
    const { admission, clock } = admissionWith({ starting: 1, maxWaitMs: 1000 })
    const releases: (() => void)[] = []
    const hold = (name: string) =>
      admission.admit(1, () => new Promise<string>((resolve) => releases.push(() => resolve(name))))
    const first = hold('first')
    await new Promise((resolve) => setImmediate(resolve))
    const soon = hold('soon')
    clock.advance(600)
    const late = hold('late').catch((err: Error) => err.message)
    await new Promise((resolve) => setImmediate(resolve))
    expect(admission.state).toMatchObject({ starting: 1, waiting: 2 })
    // 1.2 s after the first, 0.6 s after 'late' arrived: 'soon' waited too long, 'late' did not.
    clock.advance(600)
    releases.shift()!()
    expect(await first).toBe('first')
    await expect(soon).rejects.toThrow(
      'The hub is saturated and takes no new call for now; retry in a moment',
    )
    await new Promise((resolve) => setImmediate(resolve))
    releases.shift()!()
    expect(await late).toBe('late')
  })

  it('refuses a set-up that waited while the engine fell more than twice the limit behind', async () => {
    const { admission, clock, engine } = admissionWith({ starting: 1, maxWaitMs: 10_000 })
    let release!: () => void
    const first = admission.admit(
      1,
      () => new Promise<string>((resolve) => (release = () => resolve('first'))),
    )
    await new Promise((resolve) => setImmediate(resolve))
    const waiting = admission.admit(2, async () => 'second').catch((err: Error) => err.message)
    await new Promise((resolve) => setImmediate(resolve))
    expect(admission.state).toMatchObject({ starting: 1, waiting: 1 })
    engine.lagMs = 4500
    clock.advance(2000)
    release()
    expect(await first).toBe('first')
    expect(await waiting).toBe('The hub is saturated and takes no new call for now; retry in a moment')
    expect(admission.state.lagMs).toBe(4500)
  })
})

describe('call admission: how many set-ups at once follows their pace', () => {
  /** Set-ups the test finishes, each after the fake time it is given. */
  function paced(limits: Parameters<typeof admissionWith>[0]) {
    const env = admissionWith({ maxWaitMs: 1000, ...limits })
    const running: { name: string; finish: () => void }[] = []
    const outcomes = new Map<string, string>()
    const offer = (name: string, companyId = 1) => {
      const done = env.admission
        .admit(
          companyId,
          () =>
            new Promise<string>((resolve) => {
              running.push({ name, finish: () => resolve(name) })
            }),
        )
        .then(
          () => outcomes.set(name, 'set up'),
          (err: Error) => outcomes.set(name, `refused: ${err.message}`),
        )
      return done
    }
    const settle = () => new Promise((resolve) => setImmediate(resolve))
    /** Runs one set-up alone that takes `ms`. */
    const setUpTaking = async (ms: number) => {
      const done = offer(`alone-${running.length}`)
      await settle()
      const mine = running.pop()!
      env.clock.advance(ms)
      mine.finish()
      await done
    }
    return { ...env, running, outcomes, offer, settle, setUpTaking }
  }

  it('lets fewer in at once while set-ups wait on each other, and more again once they are quick', async () => {
    const { admission, setUpTaking } = paced({ starting: 16, minStarting: 2, setupQueueMs: 100 })
    expect(admission.state.maxStarting).toBe(16)
    // The quickest set-up of late took 20 ms: taking 400 ms, they wait 380 ms on something.
    await setUpTaking(20)
    const seen: number[] = []
    for (let i = 0; i < 12; i++) {
      await setUpTaking(400)
      seen.push(admission.state.maxStarting)
    }
    // The average (over ~10 set-ups) passes 20 + 100 ms at the third slow one; from there a
    // quarter fewer at each (they are 400 ms apart, longer than the average), down to the floor.
    expect(seen).toEqual([16, 16, 12, 9, 6, 5, 3, 2, 2, 2, 2, 2])
    // Quick again: once the average has come down, one more slot per quick set-up, back to
    // the ceiling within a few dozen set-ups.
    const grown: number[] = []
    for (let i = 0; i < 30; i++) {
      await setUpTaking(20)
      grown.push(admission.state.maxStarting)
    }
    expect(grown[0]).toBeLessThanOrEqual(3)
    for (let i = 1; i < grown.length; i++) expect(grown[i]! - grown[i - 1]!).toBeLessThanOrEqual(1)
    expect(grown.at(-1)).toBe(16)
  })

  it('does not shrink for set-ups that are slow by nature (a remote database), only for waits', async () => {
    const { admission, setUpTaking } = paced({ starting: 16, minStarting: 2, setupQueueMs: 100 })
    for (let i = 0; i < 30; i++) await setUpTaking(400 + (i % 3) * 30)
    expect(admission.state.maxStarting).toBe(16)
  })

  it('at the smaller limit, runs that many, keeps as many waiting as it serves within the wait allowed, and refuses the rest at once', async () => {
    const { admission, clock, running, outcomes, offer, settle, setUpTaking } = paced({
      starting: 8,
      minStarting: 2,
      setupQueueMs: 100,
      waiting: 128,
      maxWaitMs: 1000,
    })
    await setUpTaking(10)
    for (let i = 0; i < 35; i++) await setUpTaking(500)
    // Two at once, half a second each: four are served within the second a caller may wait.
    expect(admission.state).toMatchObject({ maxStarting: 2, maxWaiting: 4 })
    outcomes.clear()
    const calls = Array.from({ length: 8 }, (_, i) => offer(`c${i}`, i + 1))
    await settle()
    expect(running.map((r) => r.name)).toEqual(['c0', 'c1'])
    expect(admission.state).toMatchObject({ starting: 2, waiting: 4 })
    expect([...outcomes.entries()]).toEqual([
      ['c6', 'refused: The hub is saturated and takes no new call for now; retry in a moment'],
      ['c7', 'refused: The hub is saturated and takes no new call for now; retry in a moment'],
    ])
    // Each freed slot goes to the next caller in turn.
    const rounds: string[][] = []
    for (let round = 0; round < 3; round++) {
      clock.advance(250)
      for (const r of running.splice(0)) r.finish()
      await settle()
      await settle()
      rounds.push(running.map((r) => r.name))
    }
    expect(rounds).toEqual([['c2', 'c3'], ['c4', 'c5'], []])
    await Promise.all(calls)
    expect([...outcomes.values()].filter((o) => o === 'set up')).toHaveLength(6)
    expect(admission.state).toMatchObject({ starting: 0, waiting: 0 })
  })

  it('shrinks once per average set-up however many end at the same moment', async () => {
    const { admission, clock, running, offer, settle, setUpTaking } = paced({
      starting: 16,
      minStarting: 2,
      setupQueueMs: 100,
    })
    await setUpTaking(20)
    for (let i = 0; i < 3; i++) await setUpTaking(400)
    expect(admission.state.maxStarting).toBe(12)
    // Twelve set-ups running together, all ending 400 ms later: one shrink, not twelve.
    const calls = Array.from({ length: 12 }, (_, i) => offer(`t${i}`, i + 1))
    await settle()
    expect(running).toHaveLength(12)
    clock.advance(400)
    for (const r of running.splice(0)) r.finish()
    await Promise.all(calls)
    expect(admission.state.maxStarting).toBe(9)
  })

  it('leaves set-ups that fail out of its pace: quick refusals of bad numbers are not the quickest a set-up can be', async () => {
    const { admission, clock, settle, setUpTaking } = paced({
      starting: 16,
      minStarting: 2,
      setupQueueMs: 100,
    })
    for (let i = 0; i < 30; i++) {
      await setUpTaking(500)
      const refused = admission
        .admit(1, async () => {
          throw new Error('"+1 555" is not a number of this company')
        })
        .catch((err: Error) => err.message)
      await settle()
      clock.advance(5)
      expect(await refused).toContain('is not a number of this company')
    }
    expect(admission.state.maxStarting).toBe(16)
  })

  it('never goes above its ceiling when the ceiling is under the usual floor', async () => {
    const { admission, setUpTaking } = paced({ starting: 4, setupQueueMs: 100 })
    await setUpTaking(10)
    const seen: number[] = []
    for (let i = 0; i < 20; i++) {
      await setUpTaking(600)
      seen.push(admission.state.maxStarting)
    }
    expect(Math.max(...seen)).toBe(4)
    expect(seen.at(-1)).toBe(4)
  })

  it('starts again from its ceiling after a quiet spell, whatever the last burst left', async () => {
    const { admission, clock, setUpTaking } = paced({ starting: 16, minStarting: 2, setupQueueMs: 100 })
    await setUpTaking(20)
    for (let i = 0; i < 12; i++) await setUpTaking(400)
    expect(admission.state).toMatchObject({ maxStarting: 2 })
    // Nothing for 10 s: the next set-up finds the ceiling and a room for what it serves.
    clock.advance(10_000)
    await setUpTaking(30)
    expect(admission.state.maxStarting).toBe(16)
  })
})
