import { describe, expect, it } from 'vitest'
import { createSemaphore } from './semaphore.ts'

/** A task that runs until its `finish` is called, recording when it started. */
function gate() {
  let finish: (fail?: Error) => void = () => {}
  const done = new Promise<string>((resolve, reject) => {
    finish = (fail) => (fail ? reject(fail) : resolve('done'))
  })
  return { done, finish: (fail?: Error) => finish(fail) }
}

/** Lets pending promise callbacks run (no timer involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('createSemaphore', () => {
  it('runs at most `limit` tasks at once and starts the waiting ones in arrival order', async () => {
    const slots = createSemaphore(2)
    const gates = [gate(), gate(), gate(), gate()]
    const started: number[] = []
    const runs = gates.map((g, i) =>
      slots.run(() => {
        started.push(i)
        return g.done
      }),
    )
    await settle()
    expect(started).toEqual([0, 1])
    expect({ active: slots.active, waiting: slots.waiting }).toEqual({ active: 2, waiting: 2 })

    gates[1]!.finish()
    await settle()
    expect(started).toEqual([0, 1, 2])
    gates[0]!.finish()
    await settle()
    expect(started).toEqual([0, 1, 2, 3])
    expect(slots.waiting).toBe(0)

    gates[2]!.finish()
    gates[3]!.finish()
    await expect(Promise.all(runs)).resolves.toEqual(['done', 'done', 'done', 'done'])
    expect(slots.active).toBe(0)
  })

  it('gives the slot back when a task fails, and passes the failure on', async () => {
    const slots = createSemaphore(1)
    const first = gate()
    const failing = slots.run(() => first.done)
    let secondRan = false
    const second = slots.run(async () => {
      secondRan = true
      return 'second'
    })
    await settle()
    expect(secondRan).toBe(false)
    first.finish(new Error('boom'))
    await expect(failing).rejects.toThrow('boom')
    await expect(second).resolves.toBe('second')
    expect(slots.active).toBe(0)
  })

  it('refuses a limit below 1', () => {
    expect(() => createSemaphore(0)).toThrow(RangeError)
    expect(() => createSemaphore(1.5)).toThrow(RangeError)
  })
})
