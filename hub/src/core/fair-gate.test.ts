import { describe, expect, it } from 'vitest'
import { createFairGate, GateFullError } from './fair-gate.ts'

/** A task that runs until the test lets it finish, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  return {
    finish: () => finish(),
    task: async () => {
      log.push(name)
      await done
      return name
    },
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('fair gate', () => {
  it('serves waiting clients round-robin, not first come first served', async () => {
    const gate = createFairGate({ concurrency: 1, perClient: 10, maxWaiting: 100 })
    const started: string[] = []
    const tasks = new Map<string, ReturnType<typeof controlled>>()
    const runs: Promise<string>[] = []
    const submit = (client: string, name: string) => {
      const t = controlled(started, name)
      tasks.set(name, t)
      runs.push(gate.run(client, t.task))
    }
    submit('flood', 'f1')
    for (let i = 2; i <= 5; i++) submit('flood', `f${i}`)
    submit('alice', 'a1')
    submit('bob', 'b1')
    await settle()
    expect(started).toEqual(['f1'])
    for (const name of ['f1', 'f2', 'a1', 'b1', 'f3', 'f4', 'f5']) {
      tasks.get(name)!.finish()
      await settle()
    }
    // After the running flood task: one flood task, then Alice, then Bob, then the rest of the flood.
    expect(started).toEqual(['f1', 'f2', 'a1', 'b1', 'f3', 'f4', 'f5'])
    expect(await Promise.all(runs)).toEqual(['f1', 'f2', 'f3', 'f4', 'f5', 'a1', 'b1'])
    expect([gate.active, gate.waiting]).toEqual([0, 0])
  })

  it('refuses a client past its share at once, and everyone when the waiting room is full', async () => {
    const gate = createFairGate({ concurrency: 1, perClient: 2, maxWaiting: 2 })
    const started: string[] = []
    const a1 = controlled(started, 'a1')
    const a2 = controlled(started, 'a2')
    const runs = [gate.run('a', a1.task), gate.run('a', a2.task)]
    await expect(gate.run('a', async () => 'a3')).rejects.toMatchObject({ scope: 'client' })
    const b1 = controlled(started, 'b1')
    runs.push(gate.run('b', b1.task))
    // One running, two waiting: the room is full for a newcomer too.
    const refused = gate.run('c', async () => 'c1')
    await expect(refused).rejects.toBeInstanceOf(GateFullError)
    await expect(refused).rejects.toMatchObject({ scope: 'total' })
    for (const t of [a1, b1, a2]) {
      t.finish()
      await settle()
    }
    expect(await Promise.all(runs)).toEqual(['a1', 'a2', 'b1'])
    // Shares come back: the same client is admitted again.
    expect(await gate.run('a', async () => 'again')).toBe('again')
  })

  it('gives the slot back when a task fails', async () => {
    const gate = createFairGate({ concurrency: 1, perClient: 1, maxWaiting: 0 })
    await expect(
      gate.run('a', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await gate.run('a', async () => 'next')).toBe('next')
    expect([gate.active, gate.waiting]).toEqual([0, 0])
  })
})
