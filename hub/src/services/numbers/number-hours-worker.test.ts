import { and, asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { eventually } from '../../../test/jobs/eventually.ts'
import { createNumber, eventsOf } from '../../api/v1/numbers/numbers-fixtures.ts'
import { jobs, numbers } from '../../db/schema/index.ts'
import { processJobs } from '../../jobs/job-definition.ts'
import { ensureNumberHoursJobs, numberHoursJob, runNumberHoursJob } from './number-hours-worker.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

/** Mon–Fri 09:00–18:00 in Paris. */
const office = {
  time_zone: 'Europe/Paris',
  mode: 'custom',
  weekly: Object.fromEntries(
    ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].map((d) => [
      d,
      [{ from: '09:00', to: '18:00' }],
    ]),
  ),
}

/** Jobs of the numbers queue for that number, as the embedded driver stores them. */
async function hoursJobs(numberId: number) {
  const rows = await hub.db
    .select({ key: jobs.jobKey, runAt: jobs.runAt, data: jobs.data, state: jobs.state })
    .from(jobs)
    .where(eq(jobs.queue, numberHoursJob.queue))
    .orderBy(asc(jobs.runAt), asc(jobs.id))
  return rows.filter((r) => r.key?.startsWith(`number-hours:${numberId}:`))
}

async function officeNumber(company: TestCompany) {
  const n = await createNumber(hub, company, { country: 'FR', area: '1' })
  const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/business_hours`, {
    auth: company.basic,
    body: office,
  })
  expect(res.status).toBe(200)
  return n
}

const run = (numberId: number, companyId: number, at: Date) =>
  runNumberHoursJob(hub.deps, { data: { company_id: companyId, number_id: numberId, at: at.toISOString() } })

describe('number.opened / number.closed', () => {
  it('schedules the next flip at creation and when the hours change', async () => {
    hub.clock.set(new Date('2026-03-02T09:00:00Z')) // Monday 10:00 in Paris
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { country: 'FR', area: '1' })
    // Always open: no flip within the horizon, so a re-check a week later.
    expect((await hoursJobs(n.id)).map((j) => j.key)).toEqual([
      `number-hours:${n.id}:2026-03-09T09:00:00.000Z`,
    ])
    await hub.call('PUT', `/v1/numbers/${n.id}/settings/business_hours`, {
      auth: company.basic,
      body: office,
    })
    const scheduled = await hoursJobs(n.id)
    expect(scheduled.map((j) => [j.key, j.runAt.toISOString()])).toEqual([
      [`number-hours:${n.id}:2026-03-02T09:00:00.000Z`, '2026-03-02T09:00:00.000Z'], // check now
      [`number-hours:${n.id}:2026-03-02T17:00:00.000Z`, '2026-03-02T17:00:00.000Z'], // 18:00 in Paris
      [`number-hours:${n.id}:2026-03-09T09:00:00.000Z`, '2026-03-09T09:00:00.000Z'],
    ])
    // Saving the same hours again adds nothing (same keys).
    await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { mandatory_tagging: true },
    })
    expect(await hoursJobs(n.id)).toHaveLength(3)
  })

  it('emits number.closed then number.opened when the hours flip, once each, and chains the next job', async () => {
    hub.clock.set(new Date('2026-03-02T09:00:00Z'))
    const company = await hub.createCompany()
    const n = await officeNumber(company)
    await run(n.id, company.id, hub.clock.now()) // the "check now" job: still open, nothing to say
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(0)

    hub.clock.set(new Date('2026-03-02T17:00:00Z'))
    await run(n.id, company.id, hub.clock.now())
    const closed = await eventsOf(hub, company.id, 'number.closed')
    expect(closed).toHaveLength(1)
    expect(closed[0]!.data).toMatchObject({ id: n.id, open: false, availability_status: 'custom' })
    expect(closed[0]!.occurredAt.toISOString()).toBe('2026-03-02T17:00:00.000Z')
    const [row] = await hub.db.select().from(numbers).where(eq(numbers.id, n.id))
    expect(row!.lastOpen).toBe(false)
    expect((await hoursJobs(n.id)).map((j) => j.key)).toContain(
      `number-hours:${n.id}:2026-03-03T08:00:00.000Z`,
    )

    // A duplicate or stale run finds nothing new to announce.
    await run(n.id, company.id, new Date('2026-03-02T17:00:00Z'))
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(1)

    hub.clock.set(new Date('2026-03-03T08:00:00Z'))
    await run(n.id, company.id, hub.clock.now())
    const opened = await eventsOf(hub, company.id, 'number.opened')
    expect(opened).toHaveLength(1)
    expect(opened[0]!.data).toMatchObject({ id: n.id, open: true })
  })

  it('never evaluates before the instant a job was scheduled for', async () => {
    hub.clock.set(new Date('2026-03-02T16:59:59Z'))
    const company = await hub.createCompany()
    const n = await officeNumber(company)
    await run(n.id, company.id, new Date('2026-03-02T17:00:00Z'))
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(1)
  })

  it('announces a flip caused by a settings change through the check job, and stops with the number', async () => {
    hub.clock.set(new Date('2026-03-02T09:00:00Z'))
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    await hub.call('PUT', `/v1/numbers/${n.id}`, {
      auth: company.basic,
      body: { availability_status: 'closed' },
    })
    // Reading the number says closed at once, but the event waits for the job.
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(0)
    await run(n.id, company.id, hub.clock.now())
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(1)

    await hub.call('DELETE', `/v1/numbers/${n.id}`, { auth: company.basic })
    const before = (await hoursJobs(n.id)).length
    hub.clock.advance(60_000)
    await run(n.id, company.id, hub.clock.now())
    expect(await hoursJobs(n.id)).toHaveLength(before)
  })

  it('queues a check of every live number at boot, which catches up on missed flips', async () => {
    hub.clock.set(new Date('2026-03-02T09:00:00Z'))
    const company = await hub.createCompany()
    const n = await officeNumber(company)
    hub.clock.set(new Date('2026-03-02T20:00:00Z')) // closed since 18:00 while no worker ran
    await ensureNumberHoursJobs(hub.deps)
    const check = (await hoursJobs(n.id)).find(
      (j) => j.key === `number-hours:${n.id}:2026-03-02T20:00:00.000Z`,
    )
    expect(check?.data).toEqual({ company_id: company.id, number_id: n.id, at: '2026-03-02T20:00:00.000Z' })
    await runNumberHoursJob(hub.deps, { data: check!.data })
    expect(await eventsOf(hub, company.id, 'number.closed')).toHaveLength(1)
  })

  it('runs through the queue: the registered worker fires when the clock reaches the flip', async () => {
    const queued = await createTestHub()
    try {
      queued.clock.set(new Date('2026-03-02T09:00:00Z'))
      const company = await queued.createCompany()
      const created = await queued.call('POST', '/v1/numbers', {
        auth: company.basic,
        body: { country: 'FR', area: '1', name: 'Queued' },
      })
      const id = created.body.number.id
      await queued.call('PUT', `/v1/numbers/${id}/settings/business_hours`, {
        auth: company.basic,
        body: office,
      })
      processJobs(queued.queue, queued.deps, [numberHoursJob])
      await ensureNumberHoursJobs(queued.deps)
      await queued.queue.start()
      queued.clock.set(new Date('2026-03-02T17:00:30Z'))
      // Background work (the started queue): the shared poll, whose 10 s suit a loaded CI box.
      await eventually(async () => {
        const rows = await queued.db
          .select()
          .from(jobs)
          .where(
            and(
              eq(jobs.queue, numberHoursJob.queue),
              eq(jobs.jobKey, `number-hours:${id}:2026-03-02T17:00:00.000Z`),
            ),
          )
        expect(rows[0]?.state).toBe('completed')
      })
      const events = await eventsOf(queued, company.id, 'number.closed')
      expect(events.map((e) => e.data.id)).toEqual([id])
    } finally {
      await queued.close()
    }
  })
})
