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

  it('with a room share, leaves a place in the waiting room for a newcomer when clients flood it', async () => {
    const gate = createFairGate({ concurrency: 1, perClient: 100, maxWaiting: 8, roomShare: 0.5 })
    const held = controlled([], 'held')
    const runs: Promise<unknown>[] = [gate.run('flood-a', held.task)]
    await settle()
    const outcome = async (client: string) =>
      gate
        .run(client, async () => client)
        .then(
          () => 'ran',
          (err: GateFullError) => err.scope,
        )
    // Each flooding client fills half of what the others left: 4 of 8, 2 of 4, 1 of 2; the
    // newcomer's one task takes the last place.
    const tries = { a: [] as Promise<string>[], b: [] as Promise<string>[], c: [] as Promise<string>[] }
    for (let i = 0; i < 6; i++) tries.a.push(outcome('flood-a'))
    for (let i = 0; i < 6; i++) tries.b.push(outcome('flood-b'))
    for (let i = 0; i < 6; i++) tries.c.push(outcome('flood-c'))
    await settle()
    expect(gate.waiting).toBe(7)
    const newcomer = outcome('newcomer')
    await settle()
    expect(gate.waiting).toBe(8)
    held.finish()
    await Promise.all(runs)
    const counts = async (list: Promise<string>[]) =>
      (await Promise.all(list)).filter((o) => o === 'ran').length
    expect([await counts(tries.a), await counts(tries.b), await counts(tries.c), await newcomer]).toEqual([
      4,
      2,
      1,
      'ran',
    ])
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

  it('resized, starts waiting tasks when it grows and lets slots go as they free when it shrinks', async () => {
    const gate = createFairGate({ concurrency: 3, perClient: 100, maxWaiting: 100 })
    const started: string[] = []
    const tasks = ['t1', 't2', 't3', 't4', 't5', 't6'].map((name) => controlled(started, name))
    const runs = tasks.map((t) => gate.run('a', t.task))
    await settle()
    expect(started).toEqual(['t1', 't2', 't3'])

    // Smaller: the three running go on, and none starts until fewer than one run.
    gate.resize({ concurrency: 1 })
    tasks[0]!.finish()
    await settle()
    tasks[1]!.finish()
    await settle()
    expect(started).toEqual(['t1', 't2', 't3'])
    expect([gate.active, gate.waiting]).toEqual([1, 3])
    tasks[2]!.finish()
    await settle()
    expect(started).toEqual(['t1', 't2', 't3', 't4'])
    expect(gate.active).toBe(1)

    // Larger: the waiting ones start at once, up to the new size.
    gate.resize({ concurrency: 2 })
    await settle()
    expect(started).toEqual(['t1', 't2', 't3', 't4', 't5'])
    expect([gate.active, gate.waiting]).toEqual([2, 1])

    // A smaller room refuses newcomers and keeps who already waits.
    gate.resize({ maxWaiting: 0 })
    await expect(gate.run('b', async () => 'b1')).rejects.toMatchObject({ scope: 'total' })
    for (const t of tasks.slice(3)) {
      t.finish()
      await settle()
    }
    expect(await Promise.all(runs)).toEqual(['t1', 't2', 't3', 't4', 't5', 't6'])
    expect([gate.active, gate.waiting]).toEqual([0, 0])
  })
})
