import { and, eq, inArray, lte, or } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  callbackRequestCall,
  hungUpCall,
  sceneCall,
  voicemailCall,
} from '../../../../test/helpers/call-scenes.ts'
import { addEndedCall } from '../../../../test/helpers/caller-info.ts'
import { addAgent, callableNumber, until } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { jobs } from '../../../db/schema/index.ts'
import { enqueue } from '../../../jobs/job-definition.ts'
import {
  dailySummaryJob,
  ensureDailySummaryTicks,
  sendDailySummary,
} from '../../../services/calls/daily-summary.ts'
import { registerWorkers } from '../../../workers.ts'

/**
 * The daily summary mail ("Résumé quotidien des appels à traiter"), as users' inboxes get it:
 * at 08:00 on their clock, the calls they still have to handle, once a day.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const SUMMARY_ON = { voicemail_email: false, assigned_call_email: false, daily_summary: true }
const SUMMARY_OFF = { ...SUMMARY_ON, daily_summary: false }

/** What the daily summaries had to do by now is done: due ticks and summary jobs have run. */
async function settled(on: TestHub = hub) {
  await until(async () => {
    const busy = await on.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(
          eq(jobs.queue, dailySummaryJob.queue),
          or(eq(jobs.state, 'active'), and(eq(jobs.state, 'waiting'), lte(jobs.runAt, on.clock.now()))),
        ),
      )
    return busy.length === 0
  }, 'the daily summary jobs')
}

/** The hub's clock reaches `iso`; what was due by then has run. */
async function reach(iso: string, on: TestHub = hub) {
  on.clock.set(new Date(iso))
  await settled(on)
}

const mailsTo = (email: string, on: TestHub = hub) => on.mailer.sent.filter((m) => m.to === email)

/** The mail's lists as a reader scans them: each title, with the ids of the calls it links. */
function listsOf(text: string): Record<string, number[]> {
  const lists: Record<string, number[]> = {}
  let current: number[] | null = null
  for (const line of text.split('\n')) {
    const call = /^- .*\/v1\/calls\/(\d+)$/.exec(line)
    if (call && current) current.push(Number(call[1]))
    else if (/\(\d+\)$/.test(line)) {
      current = []
      lists[line] = current
    } else current = null
  }
  return lists
}

const closedLine = (company: TestCompany, userIds: number[], on: TestHub = hub) =>
  callableNumber(on, company, (s) => ({
    business_hours: { ...s.business_hours, mode: 'always_closed' },
    distribution: {
      ...s.distribution,
      steps: userIds.map((id) => ({ type: 'user' as const, user_id: id, ring_time_sec: 20 })),
    },
  }))

async function archive(company: TestCompany, callId: number) {
  const res = await hub.call('PUT', `/v1/calls/${callId}/archive`, { auth: company.basic })
  expect(res.status).toBe(200)
}

async function assign(company: TestCompany, callId: number, userId: number) {
  const res = await hub.call('POST', `/v1/calls/${callId}/assign`, {
    auth: company.basic,
    body: { user_id: userId },
  })
  expect(res.status).toBe(200)
}

describe('daily summary mail', () => {
  it('lists at 08:00 on each user’s clock the calls they still have to handle, in their language', async () => {
    hub.clock.set(new Date('2026-03-02T09:00:00Z')) // Monday: 04:00 in New York, 10:00 in Paris
    const acme = await hub.createCompany('Acme')
    const anna = await addAgent(hub, acme, {
      firstName: 'Anna',
      timeZone: 'America/New_York',
      notificationPrefs: SUMMARY_ON,
    })
    const chloe = await addAgent(hub, acme, {
      firstName: 'Chloé',
      language: 'fr-FR',
      timeZone: 'Europe/Paris',
      notificationPrefs: SUMMARY_ON,
    })
    const bob = await addAgent(hub, acme, { firstName: 'Bob', notificationPrefs: SUMMARY_ON })
    const support = await closedLine(acme, [anna.id, chloe.id, bob.id])
    const sales = await closedLine(acme, [bob.id])
    // Open, ringing Anna: a caller waiting there may press * for a callback.
    hub.setOnline(acme.id, anna.id)
    const desk = await callableNumber(hub, acme, (s) => ({
      messages: { ...s.messages, welcome: null },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: anna.id, ring_time_sec: 60 }] },
    }))

    const missed = await hungUpCall(hub, acme, support.e164, '+33611111111')
    const voicemail = await voicemailCall(hub, acme, support, 75, '+33622222222')
    // Handled: archived; the caller called again and reached someone; assigned to Bob.
    await archive(acme, await hungUpCall(hub, acme, support.e164, '+33633333333'))
    await hungUpCall(hub, acme, support.e164, '+33644444444')
    await sceneCall(hub, acme, { from: '+33644444444', hangUpAfterSec: 30 })
    const bobs = await hungUpCall(hub, acme, support.e164, '+33666666666')
    await assign(acme, bobs, bob.id)
    // Anna's without being on its line: assigned to her.
    const annas = await hungUpCall(hub, acme, sales.e164, '+33655555555')
    await assign(acme, annas, anna.id)
    const callback = await callbackRequestCall(hub, acme, desk, '+33677777777')

    // Another company: its calls are its own, and its reaching Acme's caller closes nothing at Acme.
    const globex = await hub.createCompany('Globex')
    const zed = await addAgent(hub, globex, { firstName: 'Zed', notificationPrefs: SUMMARY_ON })
    const theirs = await hungUpCall(hub, globex, (await closedLine(globex, [zed.id])).e164, '+33688888888')
    await sceneCall(hub, globex, { from: '+33611111111', hangUpAfterSec: 30 })

    await reach('2026-03-02T12:59:00Z') // 07:59 in New York
    expect(mailsTo(anna.email)).toEqual([])
    await reach('2026-03-02T13:00:00Z')
    const [toAnna, ...again] = mailsTo(anna.email)
    expect(again).toEqual([])
    expect(toAnna!.subject).toBe('Your daily summary: 4 calls to handle')
    expect(toAnna!.text).toContain(
      'Good morning Anna, here are the 4 calls you still have to handle in Switchboard.',
    )
    expect(listsOf(toAnna!.text)).toEqual({
      'Assigned to you (1)': [annas],
      'Callback requests (1)': [callback],
      'Voicemails (1)': [voicemail],
      'Missed calls (1)': [missed],
    })
    expect(toAnna!.text).toContain(
      `- +33611111111 on ${support.name} (${support.e164}), 2 Mar 2026, 04:00: http://hub.test/v1/calls/${missed}`,
    )
    expect(toAnna!.text).toContain(
      `- +33622222222 left a 1 min 15 s voicemail on ${support.name} (${support.e164})`,
    )
    expect(toAnna!.text).toContain(`- From +33655555555 on ${sales.name} (${sales.e164})`)
    expect(toAnna!.text).toContain(`- +33677777777 asked to be called back on ${desk.name} (${desk.e164})`)
    expect(toAnna!.text).toContain('See all the calls: http://hub.test/v1/calls?from=')
    expect(toAnna!.html).toContain(`<a href="http://hub.test/v1/calls/${missed}">View the call</a>`)
    expect(toAnna!.text).not.toContain('+33688888888')

    // Chloé, in Paris, in French, the next morning: her line's calls only.
    await reach('2026-03-03T06:59:00Z')
    expect(mailsTo(chloe.email)).toEqual([])
    await reach('2026-03-03T07:00:00Z')
    const [toChloe] = mailsTo(chloe.email)
    expect(toChloe!.subject).toBe('Votre résumé quotidien : 2 appels à traiter')
    expect(toChloe!.text).toContain(
      "Bonjour Chloé, voici les 2 appels qu'il vous reste à traiter dans Switchboard.",
    )
    expect(listsOf(toChloe!.text)).toEqual({
      'Messages vocaux (1)': [voicemail],
      'Appels manqués (1)': [missed],
    })
    expect(toChloe!.text).toContain(
      `- +33611111111 sur ${support.name} (${support.e164}), le 2 mars 2026, 10:00: http://hub.test/v1/calls/${missed}`,
    )
    expect(toChloe!.text).toContain(
      `- +33622222222 a laissé un message vocal de 1 min 15 s sur ${support.name}`,
    )
    expect(toChloe!.text).toContain('Voir tous les appels: http://hub.test/v1/calls?from=')

    // Bob and Zed, on UTC.
    await reach('2026-03-03T07:59:00Z')
    expect(mailsTo(bob.email)).toEqual([])
    expect(mailsTo(zed.email)).toEqual([])
    await reach('2026-03-03T08:00:00Z')
    expect(listsOf(mailsTo(bob.email)[0]!.text)).toEqual({
      'Assigned to you (1)': [bobs],
      'Voicemails (1)': [voicemail],
      'Missed calls (1)': [missed],
    })
    expect(mailsTo(zed.email).map((m) => listsOf(m.text))).toEqual([{ 'Missed calls (1)': [theirs] }])
  })

  it('sends nothing when the preference is off or nothing is left to handle; once a day', async () => {
    await reach('2026-03-03T09:00:00Z')
    const company = await hub.createCompany()
    const off = await addAgent(hub, company, { notificationPrefs: SUMMARY_OFF })
    const idle = await addAgent(hub, company, { notificationPrefs: SUMMARY_ON })
    const eve = await addAgent(hub, company, { firstName: 'Eve', notificationPrefs: SUMMARY_ON })
    const twin = await addAgent(hub, company, { notificationPrefs: SUMMARY_OFF })
    const line = await closedLine(company, [off.id, eve.id, twin.id])
    const first = await hungUpCall(hub, company, line.e164, '+33611110001')
    await archive(
      company,
      await hungUpCall(hub, company, (await closedLine(company, [idle.id])).e164, '+33611110002'),
    )

    await reach('2026-03-04T08:00:00Z')
    expect(mailsTo(off.email)).toEqual([])
    expect(mailsTo(idle.email)).toEqual([])
    expect(mailsTo(eve.email).map((m) => listsOf(m.text))).toEqual([{ 'Missed calls (1)': [first] }])
    expect(mailsTo(eve.email)[0]!.subject).toBe('Your daily summary: 1 call to handle')

    // A call after the mail waits for tomorrow's.
    await reach('2026-03-04T08:30:00Z')
    const second = await hungUpCall(hub, company, line.e164, '+33611110003')
    // The hub restarts, the queue forgot the day's job keys, a duplicate summary job runs, and
    // the morning goes on: no second mail today.
    await hub.db
      .delete(jobs)
      .where(and(eq(jobs.queue, dailySummaryJob.queue), inArray(jobs.state, ['completed'])))
    await ensureDailySummaryTicks(hub.deps)
    const today = { company_id: company.id, user_id: eve.id, date: '2026-03-04' }
    await enqueue(hub.queue, dailySummaryJob, today)
    await reach('2026-03-04T11:45:00Z')
    expect(await sendDailySummary(hub.deps, today)).toBe('skipped')
    expect(mailsTo(eve.email)).toHaveLength(1)
    // Two runs of one day's summary at once (a stalled job taken over while its first worker
    // still runs): one mail. Twin turns the summary on after the morning's ticks.
    expect(mailsTo(twin.email)).toEqual([])
    const turnedOn = await hub.call('PUT', `/v1/users/${twin.id}`, {
      auth: company.basic,
      body: { notification_prefs: { daily_summary: true } },
    })
    expect(turnedOn.status).toBe(200)
    const twice = { company_id: company.id, user_id: twin.id, date: '2026-03-04' }
    const runs = await Promise.all([sendDailySummary(hub.deps, twice), sendDailySummary(hub.deps, twice)])
    expect(runs.sort()).toEqual(['sent', 'skipped'])
    expect(mailsTo(twin.email)).toHaveLength(1)

    // The next morning: what came since the last summary; the first call was in it.
    await reach('2026-03-05T08:00:00Z')
    expect(mailsTo(eve.email).map((m) => listsOf(m.text))).toEqual([
      { 'Missed calls (1)': [first] },
      { 'Missed calls (1)': [second] },
    ])
    expect(mailsTo(off.email)).toEqual([])
    expect(mailsTo(idle.email)).toEqual([])
  })

  it('lists the first 50 calls and counts the others', async () => {
    await reach('2026-03-05T09:00:00Z')
    const company = await hub.createCompany()
    const busy = await addAgent(hub, company, { notificationPrefs: SUMMARY_ON })
    const line = await closedLine(company, [busy.id])
    const ids: number[] = []
    for (let i = 0; i < 53; i++) {
      const started = new Date(Date.parse('2026-03-05T09:00:00Z') + i * 60_000)
      const call = await addEndedCall(hub, company, {
        numberId: line.id,
        external: `+336120000${String(i).padStart(2, '0')}`,
        startedAt: started,
      })
      ids.push(call.id)
    }
    await reach('2026-03-06T08:00:00Z')
    const [mail] = mailsTo(busy.email)
    expect(mail!.subject).toBe('Your daily summary: 53 calls to handle')
    // Oldest first: the three latest are counted, not listed.
    expect(listsOf(mail!.text)).toEqual({ 'Missed calls (53)': ids.slice(0, 50) })
    expect(mail!.text).toContain('…and 3 more.\n\nSee all the calls: http://hub.test/v1/calls?from=')
  })
})

describe('daily summary after downtime', () => {
  it('goes out when the hub is back before noon; a day whose noon has passed is skipped', async () => {
    const down = await createTestHub()
    try {
      const company = await down.createCompany()
      const london = await addAgent(down, company, {
        timeZone: 'Europe/London',
        notificationPrefs: SUMMARY_ON,
      })
      const tokyo = await addAgent(down, company, { timeZone: 'Asia/Tokyo', notificationPrefs: SUMMARY_ON })
      const line = await closedLine(company, [london.id, tokyo.id], down)
      const missed = await hungUpCall(down, company, line.e164, '+33699999999')
      // No worker ran at 08:00 in London (and in Tokyo, whose noon has passed): back at 10:30 UTC.
      down.clock.set(new Date('2026-03-03T10:30:00Z'))
      const workers = registerWorkers(down.deps, { relayIntervalMs: 20 })
      try {
        await down.queue.start()
        await until(async () => mailsTo(london.email, down).length > 0, "London's summary")
        await settled(down)
        expect(mailsTo(london.email, down).map((m) => listsOf(m.text))).toEqual([
          { 'Missed calls (1)': [missed] },
        ])
        expect(mailsTo(tokyo.email, down)).toEqual([])
        // Tokyo's next morning (08:00 there is 23:00 UTC): a first summary covers the last day.
        const later = await hungUpCall(down, company, line.e164, '+33600000000')
        await reach('2026-03-03T22:59:00Z', down)
        expect(mailsTo(tokyo.email, down)).toEqual([])
        await reach('2026-03-03T23:00:00Z', down)
        expect(mailsTo(tokyo.email, down).map((m) => listsOf(m.text))).toEqual([
          { 'Missed calls (1)': [later] },
        ])
      } finally {
        await workers.stop()
      }
    } finally {
      await down.close()
    }
  })
})
