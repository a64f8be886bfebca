import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../test/helpers/hub.ts'
import { afterCommit } from './after-commit.ts'
import { companies } from './schema/index.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

describe('afterCommit', () => {
  it('runs a hook once the transaction has committed, when its change is visible outside it', async () => {
    const seen: (number | undefined)[] = []
    let id = 0
    const visible = async () =>
      (await hub.db.select({ id: companies.id }).from(companies)).some((c) => c.id === id)
    const checks: Promise<boolean>[] = []
    await hub.db.transaction(async (tx) => {
      const [row] = await tx.insert(companies).values({ name: 'Hooked' }).returning({ id: companies.id })
      id = row!.id
      afterCommit(() => {
        seen.push(id)
        checks.push(visible())
      })
      // Savepoints belong to the outer transaction: their hooks wait for its commit too.
      await tx.transaction(async () => {
        afterCommit(() => seen.push(-1))
      })
      expect(seen).toEqual([])
    })
    expect(seen).toEqual([id, -1])
    expect(await Promise.all(checks)).toEqual([true])
  })

  it('drops the hooks of a transaction that rolled back', async () => {
    const seen: string[] = []
    await expect(
      hub.db.transaction(async () => {
        afterCommit(() => seen.push('ran'))
        throw new Error('rolled back')
      }),
    ).rejects.toThrow('rolled back')
    expect(seen).toEqual([])
  })

  it('runs at once outside a transaction', () => {
    const seen: string[] = []
    afterCommit(() => seen.push('ran'))
    expect(seen).toEqual(['ran'])
  })
})
