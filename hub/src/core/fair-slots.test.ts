import { describe, expect, it } from 'vitest'
import { createFairSlots } from './fair-slots.ts'

/** A task that runs until its `finish` is called. */
function gate() {
  let finish: (fail?: Error) => void = () => {}
  const done = new Promise<string>((resolve, reject) => {
    finish = (fail) => (fail ? reject(fail) : resolve('done'))
  })
  return { done, finish: (fail?: Error) => finish(fail) }
}

/** A task that records its start under `name`, then runs until `g` finishes. */
const recording = (started: string[], name: string, g: ReturnType<typeof gate>) => () => {
  started.push(name)
  return g.done
}

/** Lets pending promise callbacks run (no timer involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('createFairSlots', () => {
  it('runs at most `total` tasks at once and starts the waiting ones as slots free', async () => {
    const slots = createFairSlots({ total: 2, perKey: 2 })
    const gates = [gate(), gate(), gate(), gate()]
    const started: number[] = []
    const runs = gates.map((g, i) =>
      slots.run('a', () => {
        started.push(i)
        return g.done
      }),
    )
    await settle()
    expect(started).toEqual([0, 1])
    expect(slots.load()).toEqual({ active: 2, waiting: 2 })

    gates[1]!.finish()
    await settle()
    expect(started).toEqual([0, 1, 2])
    gates[0]!.finish()
    await settle()
    expect(started).toEqual([0, 1, 2, 3])
    gates[2]!.finish()
    gates[3]!.finish()
    await expect(Promise.all(runs)).resolves.toEqual(['done', 'done', 'done', 'done'])
    expect(slots.load()).toEqual({ active: 0, waiting: 0 })
  })

  it('keeps one key to its own share: another key starts at once while the first one waits', async () => {
    const slots = createFairSlots({ total: 4, perKey: 2 })
    const started: string[] = []
    const busy = Array.from({ length: 5 }, (_, i) => {
      const g = gate()
      return { g, run: slots.run(1, recording(started, `a${i}`, g)) }
    })
    await settle()
    expect(started).toEqual(['a0', 'a1'])
    expect(slots.load(1)).toEqual({ active: 2, waiting: 3 })

    const other = gate()
    const otherRun = slots.run(2, recording(started, 'b0', other))
    await settle()
    expect(started).toEqual(['a0', 'a1', 'b0'])
    other.finish()
    await expect(otherRun).resolves.toBe('done')
    for (const b of busy) b.g.finish()
    await Promise.all(busy.map((b) => b.run))
    expect(slots.load()).toEqual({ active: 0, waiting: 0 })
  })

  it('serves the waiting keys in turn when the whole process is full', async () => {
    const slots = createFairSlots({ total: 2, perKey: 2 })
    const started: string[] = []
    const gates = new Map<string, ReturnType<typeof gate>>()
    const start = (key: string, name: string) => {
      const g = gate()
      gates.set(name, g)
      return slots.run(key, recording(started, name, g))
    }
    const runs = [start('a', 'a0'), start('a', 'a1'), start('a', 'a2'), start('a', 'a3'), start('b', 'b0')]
    await settle()
    expect(started).toEqual(['a0', 'a1'])
    // b0 came after a2 and a3, yet takes the first free slot: a's queue waits its turn.
    gates.get('a0')!.finish()
    await settle()
    expect(started).toEqual(['a0', 'a1', 'b0'])
    gates.get('a1')!.finish()
    await settle()
    expect(started).toEqual(['a0', 'a1', 'b0', 'a2'])
    gates.get('a2')!.finish()
    await settle()
    expect(started).toEqual(['a0', 'a1', 'b0', 'a2', 'a3'])
    for (const g of gates.values()) g.finish()
    await Promise.all(runs)
    expect(slots.load()).toEqual({ active: 0, waiting: 0 })
  })

  it('gives the slot back when a task fails, and passes the failure on', async () => {
    const slots = createFairSlots({ total: 1, perKey: 1 })
    const first = gate()
    const failing = slots.run('a', () => first.done)
    let secondRan = false
    const second = slots.run('b', async () => {
      secondRan = true
      return 'second'
    })
    await settle()
    expect(secondRan).toBe(false)
    first.finish(new Error('boom'))
    await expect(failing).rejects.toThrow('boom')
    await expect(second).resolves.toBe('second')
    expect(slots.load()).toEqual({ active: 0, waiting: 0 })
  })

  it('refuses a limit below 1', () => {
    expect(() => createFairSlots({ total: 0, perKey: 1 })).toThrow(RangeError)
    expect(() => createFairSlots({ total: 2, perKey: 1.5 })).toThrow(RangeError)
  })
})
