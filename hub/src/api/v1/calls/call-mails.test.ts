import { and, eq, inArray, isNull } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hungUpCall, voicemailCall } from '../../../../test/helpers/call-scenes.ts'
import { addAgent, addTeam, callableNumber, finalEventsOf, until } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { jobs, outbox } from '../../../db/schema/index.ts'

/**
 * The mails users' notification preferences promise, as their inboxes get them: a new
 * voicemail on their numbers, a call a teammate assigned to them. Exactly once each.
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ workers: true })
})
afterAll(() => hub.close())

const CALLER = '+33612345678'

/** Nothing left for the relay or the mail jobs to do: what was going to be sent, was. */
async function settled() {
  await until(async () => {
    const pending = await hub.db.select({ id: outbox.id }).from(outbox).where(isNull(outbox.relayedAt))
    const mails = await hub.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.queue, 'mail'), inArray(jobs.state, ['waiting', 'active'])))
    return pending.length === 0 && mails.length === 0
  }, 'the relay and the mail jobs to finish')
}

const mailsTo = (email: string) => hub.mailer.sent.filter((m) => m.to === email)

describe('voicemail by email', () => {
  it("mails each of the number's users who asked for it, in their language, once", async () => {
    const company = await hub.createCompany('Acme')
    const anna = await addAgent(hub, company, { firstName: 'Anna' })
    const quiet = await addAgent(hub, company, {
      notificationPrefs: { voicemail_email: false, assigned_call_email: false, daily_summary: false },
    })
    const chloe = await addAgent(hub, company, { language: 'fr-FR', timeZone: 'Europe/Paris' })
    const elsewhere = await addAgent(hub, company)
    const team = await addTeam(hub, company, 'Support', [quiet.id, chloe.id])
    const number = await callableNumber(hub, company, (s) => ({
      business_hours: { ...s.business_hours, mode: 'always_closed' },
      distribution: {
        ...s.distribution,
        steps: [
          { type: 'user', user_id: anna.id, ring_time_sec: 20 },
          { type: 'team', team_id: team.id, ring_time_sec: 20, strategy: 'simultaneous' },
        ],
      },
    }))
    const callId = await voicemailCall(hub, company, number, 75, CALLER)
    await until(async () => mailsTo(anna.email).length > 0 && mailsTo(chloe.email).length > 0, 'the mails')
    await settled()

    const [en] = mailsTo(anna.email)
    expect(en!.subject).toBe(`New voicemail from ${CALLER} on ${number.name}`)
    expect(en!.text).toContain(`${CALLER} left a 1 min 15 s voicemail on ${number.name} (${number.e164})`)
    // The hub's clock: Monday 2 March 2026, 09:00 UTC.
    expect(en!.text).toContain('on 2 Mar 2026, 09:00')
    expect(en!.text).toContain(`View the call: http://hub.test/v1/calls/${callId}`)
    expect(en!.html).toContain(`href="http://hub.test/v1/calls/${callId}"`)
    const [fr] = mailsTo(chloe.email)
    expect(fr!.subject).toBe(`Nouveau message vocal de ${CALLER} sur ${number.name}`)
    // In her time zone: 10:00 in Paris.
    expect(fr!.text).toContain(`a laissé un message vocal de 1 min 15 s sur ${number.name}`)
    expect(fr!.text).toContain('10:00')
    expect(mailsTo(quiet.email)).toEqual([])
    expect(mailsTo(elsewhere.email)).toEqual([])

    // The relay dies before stamping its batch: the next pass sees the events again.
    await hub.db.update(outbox).set({ relayedAt: null }).where(eq(outbox.companyId, company.id))
    await settled()
    expect(mailsTo(anna.email)).toHaveLength(1)
    expect(mailsTo(chloe.email)).toHaveLength(1)
  })

  it('sends nothing for a call that ended without a voicemail', async () => {
    const company = await hub.createCompany()
    const anna = await addAgent(hub, company)
    const number = await callableNumber(hub, company, (s) => ({
      business_hours: { ...s.business_hours, mode: 'always_closed' },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: anna.id, ring_time_sec: 20 }] },
    }))
    await finalEventsOf(hub, company.id, await hungUpCall(hub, company, number.e164, CALLER))
    await settled()
    expect(mailsTo(anna.email)).toEqual([])
  })
})

describe('assigned call by email', () => {
  async function missedCall(company: TestCompany) {
    const number = await callableNumber(hub, company, (s) => ({
      business_hours: { ...s.business_hours, mode: 'always_closed' },
    }))
    return { id: await hungUpCall(hub, company, number.e164, CALLER), number }
  }
  const assign = async (auth: string, callId: number, userId: number) => {
    const res = await hub.call('POST', `/v1/calls/${callId}/assign`, { auth, body: { user_id: userId } })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
  }
  const prefs = { voicemail_email: false, assigned_call_email: true, daily_summary: false }

  it('mails the assignee who asked for it, naming who assigned it; once', async () => {
    const company = await hub.createCompany()
    const bob = await addAgent(hub, company, { notificationPrefs: prefs })
    const { id, number } = await missedCall(company)
    await assign(company.adminBearer, id, bob.id)
    await until(async () => mailsTo(bob.email).length > 0, 'the mail')
    await settled()
    const [mail] = mailsTo(bob.email)
    expect(mail!.subject).toBe(`A call was assigned to you: ${CALLER}`)
    expect(mail!.text).toContain(
      `Ada Admin assigned you the call from ${CALLER} on ${number.name} (${number.e164}) of 2 Mar 2026, 09:00.`,
    )
    expect(mail!.text).toContain(`http://hub.test/v1/calls/${id}`)
    // Assigning it to him again changes nothing, and mails nothing.
    await assign(company.adminBearer, id, bob.id)
    await hub.db.update(outbox).set({ relayedAt: null }).where(eq(outbox.companyId, company.id))
    await settled()
    expect(mailsTo(bob.email)).toHaveLength(1)
  })

  it('in French for a French user; "an administrator" when an API key assigned it', async () => {
    const company = await hub.createCompany()
    const zoe = await addAgent(hub, company, { notificationPrefs: prefs, language: 'fr-FR' })
    const { id } = await missedCall(company)
    await assign(company.basic, id, zoe.id)
    await until(async () => mailsTo(zoe.email).length > 0, 'the mail')
    const [mail] = mailsTo(zoe.email)
    expect(mail!.subject).toBe(`Un appel vous a été assigné : ${CALLER}`)
    expect(mail!.text).toContain(`Un administrateur vous a assigné l'appel de ${CALLER}`)
  })

  it('mails nobody who did not ask for it, nor someone who assigned the call to themselves', async () => {
    const company = await hub.createCompany()
    const carl = await addAgent(hub, company)
    const { id } = await missedCall(company)
    await assign(company.adminBearer, id, carl.id)
    const { id: other } = await missedCall(company)
    await hub.call('PUT', `/v1/users/${company.adminUserId}`, {
      auth: company.adminBearer,
      body: { notification_prefs: prefs },
    })
    const admin = await hub.userById(company.adminUserId)
    expect(admin!.notificationPrefs.assigned_call_email).toBe(true)
    await assign(company.adminBearer, other, company.adminUserId)
    await settled()
    expect(mailsTo(carl.email)).toEqual([])
    expect(mailsTo(admin!.email)).toEqual([])
  })
})
