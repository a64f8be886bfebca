import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestHub, type TestHub } from '../test/helpers/hub.ts'
import { eventually } from '../test/jobs/eventually.ts'
import { hubJobs, hubQueues } from './job-registry.ts'
import { defineJob, enqueue, processJobs, queuesOf } from './jobs/job-definition.ts'
import { hubQueueNames } from './jobs/queue-names.ts'
import { numberHoursJob } from './services/numbers/number-hours-worker.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
  processJobs(hub.queue, hub.deps, hubJobs)
  await hub.queue.start()
})
afterAll(() => hub.close())

describe('the job registry', () => {
  it('defines each job once, and its queues are where dead letters are looked for', () => {
    const names = hubJobs.map((j) => `${j.queue}/${j.name}`)
    expect(new Set(names).size).toBe(names.length)
    expect([...queuesOf(hubJobs).keys()]).toEqual(hubQueues)
    // sb's help lists the queues from a list of their own.
    expect(hubQueueNames).toEqual(hubQueues)
    const twice = [numberHoursJob, { ...numberHoursJob }]
    expect(() => queuesOf(twice)).toThrow('numbers/number-hours is defined twice')
  })

  it('enqueue() checks the data against the job schema and applies its tries and backoff', async () => {
    const echo = defineJob({
      queue: 'registry-test',
      name: 'echo',
      schema: z.object({ n: z.number().int() }),
      tries: 3,
      backoffMs: 7,
      handle: async () => {},
    })
    // @ts-expect-error the data's type comes from the schema: a string is not a number
    await expect(enqueue(hub.queue, echo, { n: 'one' })).rejects.toThrow('registry-test/echo: bad job data')
    const added: unknown[] = []
    const spy = Object.assign(Object.create(hub.queue), {
      add: async (...args: unknown[]) => {
        added.push(args)
      },
    })
    await enqueue(spy, echo, { n: 1 }, { jobKey: 'k', delayMs: 5 })
    expect(added).toEqual([
      ['registry-test', 'echo', { n: 1 }, { attempts: 3, backoffMs: 7, delayMs: 5, jobKey: 'k' }],
    ])
  })

  it('sends a job of an unknown name, or with data its schema refuses, to the dead letters at once', async () => {
    // Left by another release: the driver's primitive, as enqueue() would refuse them.
    await hub.queue.add('numbers', 'number-minutes', { number_id: 1 }, { attempts: 5 })
    await hub.queue.add('numbers', 'number-hours', { number_id: 'x' }, { attempts: 5 })
    const dead = await eventually(async () => {
      const failed = await hub.queue.listFailed('numbers')
      expect(failed).toHaveLength(2)
      return failed
    })
    expect(dead.map((j) => [j.name, j.attempts]).sort()).toEqual([
      ['number-hours', 1],
      ['number-minutes', 1],
    ])
    expect(dead.find((j) => j.name === 'number-minutes')?.error).toBe(
      'no job "number-minutes" is defined in queue numbers',
    )
    expect(dead.find((j) => j.name === 'number-hours')?.error).toContain('numbers/number-hours: bad job data')
  })

  it('is the only way jobs are added: no code outside jobs/ calls a queue add() itself', () => {
    const src = fileURLToPath(new URL('.', import.meta.url))
    const offenders: string[] = []
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name)
        if (entry.isDirectory()) {
          if (path !== join(src, 'jobs')) walk(path)
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          if (/\bqueue\)?\.add\(/.test(readFileSync(path, 'utf8'))) offenders.push(path.slice(src.length))
        }
      }
    }
    walk(src)
    expect(offenders).toEqual([])
  })
})
