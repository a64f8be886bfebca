import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../test/helpers/numbers-factory.ts'
import { DomainError, type ErrorCode } from '../../core/errors.ts'
import type { Mailer } from '../../mail/mailer.ts'
import {
  approveNumber,
  formatDecision,
  formatPending,
  listPendingVerifications,
  rejectNumber,
  type VerificationCommandDeps,
} from './numbers-verification.ts'

let hub: TestHub
let deps: VerificationCommandDeps
beforeAll(async () => {
  hub = await createTestHub()
  deps = { db: hub.db, clock: hub.clock, mailer: hub.mailer, publicUrl: 'http://hub.test/' }
})
afterAll(() => hub.close())

const PDF = new Uint8Array([...Buffer.from('%PDF-1.7\n%%EOF\n')])

/** A number of the company with a submission in review, sent through the API. */
async function inReview(company: TestCompany, country: 'FR' | 'BE' = 'BE') {
  const number = await createTestNumber(hub.db, { companyId: company.id, country })
  const form = new FormData()
  const fields = {
    kind: 'personal',
    first_name: 'Grace',
    last_name: 'Hopper',
    'address.line1': 'Rue Neuve 1',
    'address.city': 'Bruxelles',
    'address.postal_code': '1000',
    'address.country': country,
  }
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  form.append('address_document', new File([PDF], 'bill.pdf'))
  if (country === 'FR') form.append('identity_document', new File([PDF], 'id.pdf'))
  const res = await hub.app.request(`http://hub.test/v1/numbers/${number.id}/verification`, {
    method: 'POST',
    headers: { authorization: company.basic },
    body: form,
  })
  expect(res.status).toBe(201)
  const body = (await res.json()) as { submission: { id: number } }
  return { number, submissionId: body.submission.id }
}

const adminError = (code: ErrorCode, field?: string) =>
  expect.objectContaining({ name: 'DomainError', code, ...(field ? { field } : {}) })

describe('sb numbers:pending', () => {
  it("lists every company's submissions in review, oldest first, with where the files are", async () => {
    const first = await hub.createCompany('First Co')
    const second = await hub.createCompany('Second Co')
    const a = await inReview(first)
    hub.clock.advance(1000)
    const b = await inReview(second)
    await createTestNumber(hub.db, { companyId: first.id }) // waiting for documents: not in the queue
    const list = await listPendingVerifications(deps, { limit: '50' })
    const ours = list.filter((p) => [a.number.id, b.number.id].includes(p.number_id))
    expect(ours.map((p) => [p.number_id, p.company_name])).toEqual([
      [a.number.id, 'First Co'],
      [b.number.id, 'Second Co'],
    ])
    expect(ours[0]).toMatchObject({
      submission_id: a.submissionId,
      e164: a.number.e164,
      country: 'BE',
      kind: 'personal',
      documents: [{ type: 'address', filename: 'bill.pdf', content_type: 'application/pdf' }],
    })
    expect(hub.blobs.keys()).toContain(ours[0]!.documents[0]!.blob_key)
    const text = formatPending(ours).join('\n')
    expect(text).toContain(`number ${a.number.id}  ${a.number.e164}`)
    expect(text).toContain('person Grace Hopper, Rue Neuve 1, 1000 Bruxelles, BE')
    expect(text).toContain(ours[0]!.documents[0]!.blob_key)
    expect(formatPending([])).toEqual(['No number is waiting for review.'])
  })

  it('refuses a bad limit', async () => {
    await expect(listPendingVerifications(deps, { limit: '0' })).rejects.toThrow(DomainError)
    await expect(listPendingVerifications(deps, { limit: 'lots' })).rejects.toEqual(
      adminError('bad_request', 'limit'),
    )
  })
})

describe('sb numbers:approve / numbers:reject', () => {
  it('approves by number id given as text, and reports who was mailed', async () => {
    const company = await hub.createCompany()
    const { number, submissionId } = await inReview(company, 'FR')
    const result = await approveNumber(deps, { number_id: String(number.id) })
    const admin = await hub.userById(company.adminUserId)
    expect(result).toMatchObject({ state: 'active', submission_id: submissionId, notified: [admin!.email] })
    expect(result.verification.submissions[0]!.documents[0]!.download_link).toMatch(
      new RegExp(`^http://hub.test/v1/numbers/${number.id}/verification/documents/\\d+$`),
    )
    expect(formatDecision(result)[0]).toBe(
      `Number ${number.id} (company ${company.id}) is active; submission ${submissionId} approved.`,
    )
    const list = await listPendingVerifications(deps)
    expect(list.some((p) => p.number_id === number.id)).toBe(false)
  })

  it('rejects with a reason, by submission id', async () => {
    const company = await hub.createCompany()
    const { number, submissionId } = await inReview(company)
    const result = await rejectNumber(deps, { submission_id: submissionId, reason: 'Blurry scan' })
    expect(result).toMatchObject({ number_id: number.id, state: 'rejected', reason: 'Blurry scan' })
    expect(formatDecision(result)[0]).toBe(
      `Number ${number.id} (company ${company.id}) rejected: Blurry scan`,
    )
  })

  it('answers usage errors, unknown numbers and numbers not in review in the CLI terms', async () => {
    const company = await hub.createCompany()
    const { number } = await inReview(company)
    await expect(rejectNumber(deps, { number_id: number.id })).rejects.toEqual(
      adminError('bad_request', 'reason'),
    )
    await expect(rejectNumber(deps, { number_id: number.id, reason: ' ' })).rejects.toEqual(
      adminError('bad_request', 'reason'),
    )
    await expect(approveNumber(deps, { number_id: 'twelve' })).rejects.toEqual(adminError('bad_request'))
    await expect(approveNumber(deps, {})).rejects.toEqual(adminError('bad_request'))
    await expect(approveNumber(deps, { number_id: 2147483000 })).rejects.toEqual(adminError('not_found'))
    await expect(approveNumber(deps, { submission_id: 2147483000 })).rejects.toEqual(adminError('not_found'))
    const waiting = await createTestNumber(hub.db, { companyId: company.id })
    await expect(approveNumber(deps, { number_id: waiting.id })).rejects.toEqual(adminError('conflict'))
  })

  it('keeps the decision when a mail cannot be sent, and says so', async () => {
    const company = await hub.createCompany()
    const { number } = await inReview(company)
    const failing: Mailer = {
      async send() {
        throw new Error('SMTP down')
      },
    }
    const result = await approveNumber({ ...deps, mailer: failing }, { number_id: number.id })
    const admin = await hub.userById(company.adminUserId)
    expect(result).toMatchObject({ state: 'active', notified: [], not_notified: [admin!.email] })
    expect(formatDecision(result)).toContain(`Mail FAILED for: ${admin!.email}`)
    const get = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.basic })
    expect(get.body.verification.state).toBe('active')
  })
})
