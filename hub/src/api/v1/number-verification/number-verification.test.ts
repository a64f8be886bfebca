import { createHash } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { createTestNumber } from '../../../../test/helpers/numbers-factory.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { numbers, outbox } from '../../../db/schema/index.ts'
import { MAX_DOCUMENT_BYTES } from '../../../services/number-verification/document-content.ts'
import {
  approveVerification,
  type ReviewDeps,
  rejectVerification,
} from '../../../services/number-verification/review.ts'
import { isNumberActive } from '../../../telephony/number-active.ts'

let hub: TestHub
let review: ReviewDeps
beforeAll(async () => {
  hub = await createTestHub()
  review = { db: hub.db, clock: hub.clock, mailer: hub.mailer, publicUrl: 'http://hub.test' }
})
afterAll(() => hub.close())

const pad = (head: number[], size: number) => {
  const bytes = new Uint8Array(size)
  bytes.set(head)
  for (let i = head.length; i < size; i++) bytes[i] = i % 251
  return bytes
}
const PDF = (size = 600) => pad([...Buffer.from('%PDF-1.7\n')], size)
const PNG = (size = 400) => pad([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], size)
const JPEG = (size = 500) => pad([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46], size)
const EXE = (size = 300) => pad([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0], size)

type Upload = { bytes: Uint8Array<ArrayBuffer>; name: string; type?: string }

const parisAddress = {
  'address.line1': '12 rue de Rivoli',
  'address.city': 'Paris',
  'address.postal_code': '75001',
  'address.country': 'FR',
}
const companyFields = {
  kind: 'company',
  name: 'Acme SAS',
  registration_number: '552 100 554',
  ...parisAddress,
}
const frDocuments = () => ({
  identity_document: { bytes: PDF(), name: 'passport.pdf', type: 'application/pdf' },
  address_document: { bytes: JPEG(), name: 'edf-bill.jpg', type: 'image/jpeg' },
})

async function readJson(res: Response) {
  const text = await res.text()
  try {
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
    return JSON.parse(text) as any
  } catch {
    return text
  }
}

/** POST multipart/form-data as a browser or `curl -F` would (createTestHub's call sends JSON only). */
async function submit(
  auth: string | undefined,
  numberId: number,
  fields: Record<string, string>,
  files: Record<string, Upload> = {},
) {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  for (const [k, f] of Object.entries(files)) {
    form.append(k, new File([f.bytes], f.name, { type: f.type ?? 'application/octet-stream' }))
  }
  const res = await hub.app.request(`http://hub.test/v1/numbers/${numberId}/verification`, {
    method: 'POST',
    headers: auth ? { authorization: auth } : {},
    body: form,
  })
  return { status: res.status, body: await readJson(res) }
}

async function numberState(id: number) {
  const [row] = await hub.db.select().from(numbers).where(eq(numbers.id, id))
  return row!
}

async function submittedFrNumber(company: TestCompany) {
  const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
  const res = await submit(company.basic, number.id, companyFields, frDocuments())
  expect(res.status).toBe(201)
  return { number, submission: res.body.submission }
}

describe('GET /v1/numbers/:id/verification', () => {
  it('shows what a French number needs before it goes live', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const res = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.adminBearer })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      verification: {
        number_id: number.id,
        state: 'pending_documents',
        active: false,
        rejection_reason: null,
        requirements: {
          required: true,
          documents: ['identity', 'address'],
          address_must_be_in: 'area',
          country: 'FR',
          country_name: 'France',
          area: { code: '1', name: 'Région Parisienne' },
        },
        submissions: [],
      },
    })
  })

  it('follows the country rule: Belgium needs a proof of address only, the Netherlands nothing', async () => {
    const company = await hub.createCompany()
    const be = await createTestNumber(hub.db, { companyId: company.id, country: 'BE' })
    const nl = await createTestNumber(hub.db, { companyId: company.id, country: 'NL' })
    const beRes = await hub.call('GET', `/v1/numbers/${be.id}/verification`, { auth: company.basic })
    expect(beRes.body.verification.requirements).toMatchObject({
      required: true,
      documents: ['address'],
      address_must_be_in: 'country',
    })
    const nlRes = await hub.call('GET', `/v1/numbers/${nl.id}/verification`, { auth: company.basic })
    expect(nlRes.body.verification).toMatchObject({
      state: 'not_required',
      active: true,
      requirements: { required: false, documents: [], address_must_be_in: null },
    })
  })

  it('answers 400 naming the id for a malformed id, 404 for a missing or released number', async () => {
    const company = await hub.createCompany()
    const bad = await hub.call('GET', '/v1/numbers/abc/verification', { auth: company.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('id')
    const missing = await hub.call('GET', '/v1/numbers/2147483000/verification', { auth: company.basic })
    expect(missing.status).toBe(404)
    const released = await createTestNumber(hub.db, { companyId: company.id, releasedAt: hub.clock.now() })
    expect(
      (await hub.call('GET', `/v1/numbers/${released.id}/verification`, { auth: company.basic })).status,
    ).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => {
      const number = await createTestNumber(hub.db, { companyId: company.id })
      return `/v1/numbers/${number.id}/verification`
    },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('POST /v1/numbers/:id/verification', () => {
  it('accepts company information with both documents and puts the number in review', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const docs = frDocuments()
    const res = await submit(company.adminBearer, number.id, { ...companyFields, 'address.line2': '' }, docs)
    expect(res.status).toBe(201)
    const submission = res.body.submission
    expect(submission).toMatchObject({
      number_id: number.id,
      kind: 'company',
      state: 'in_review',
      reason: null,
      details: {
        name: 'Acme SAS',
        registration_number: '552 100 554',
        address: { line1: '12 rue de Rivoli', city: 'Paris', postal_code: '75001', country: 'FR' },
      },
      submitted_by: { type: 'user', id: company.adminUserId },
      reviewed_at: null,
      created_at: hub.clock.now().toISOString(),
    })
    expect(submission.details.address).not.toHaveProperty('line2')
    expect(submission.documents).toEqual([
      {
        id: expect.any(Number),
        type: 'identity',
        filename: 'passport.pdf',
        content_type: 'application/pdf',
        size: docs.identity_document.bytes.length,
        sha256: createHash('sha256').update(docs.identity_document.bytes).digest('hex'),
        download_link: `http://hub.test/v1/numbers/${number.id}/verification/documents/${submission.documents[0].id}`,
      },
      expect.objectContaining({ type: 'address', filename: 'edf-bill.jpg', content_type: 'image/jpeg' }),
    ])
    const keys = hub.blobs.keys().filter((k) => k.startsWith(`c/${company.id}/verification/`))
    expect(keys).toHaveLength(2)
    expect(keys.every((k) => /^c\/\d+\/verification\/[0-9a-f-]{36}\.(pdf|jpg)$/.test(k))).toBe(true)

    const get = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.basic })
    expect(get.body.verification).toMatchObject({ state: 'in_review', active: false })
    expect(get.body.verification.submissions).toEqual([submission])
    expect(isNumberActive(await numberState(number.id))).toBe(false)
  })

  it('accepts personal information; an API key is recorded as the submitter', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'BE' })
    const res = await submit(
      company.basic,
      number.id,
      {
        kind: 'personal',
        first_name: 'Ada',
        last_name: 'Lovelace',
        birth_date: '1990-04-25',
        'address.line1': 'Rue Neuve 1',
        'address.city': 'Bruxelles',
        'address.postal_code': '1000',
        'address.country': 'be',
      },
      { address_document: { bytes: PNG(), name: 'bill.png', type: 'image/png' } },
    )
    expect(res.status).toBe(201)
    expect(res.body.submission).toMatchObject({
      kind: 'personal',
      details: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        birth_date: '1990-04-25',
        address: { country: 'BE' },
      },
      submitted_by: { type: 'api_key' },
      documents: [expect.objectContaining({ type: 'address', content_type: 'image/png' })],
    })
  })

  it('judges files by content: a PNG named .pdf is stored as a PNG, an executable named .pdf is refused', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const before = hub.blobs.keys().length
    const exe = await submit(company.basic, number.id, companyFields, {
      identity_document: { bytes: EXE(), name: 'passport.pdf', type: 'application/pdf' },
      address_document: { bytes: PDF(), name: 'bill.pdf', type: 'application/pdf' },
    })
    expect(exe.status).toBe(400)
    expect(exe.body.field).toBe('identity_document')
    expect(exe.body.message).toMatch(/PDF, JPEG or PNG/)
    expect(hub.blobs.keys().length).toBe(before)
    expect((await numberState(number.id)).verificationState).toBe('pending_documents')

    const png = await submit(company.basic, number.id, companyFields, {
      identity_document: { bytes: PNG(), name: 'passport.pdf', type: 'application/pdf' },
      address_document: { bytes: PDF(), name: 'bill.pdf' },
    })
    expect(png.status).toBe(201)
    const identity = png.body.submission.documents[0]
    expect(identity).toMatchObject({ type: 'identity', filename: 'passport.pdf', content_type: 'image/png' })
    expect(
      hub.blobs.keys().filter((k) => k.startsWith(`c/${company.id}/`) && k.endsWith('.png')),
    ).toHaveLength(1)
  })

  it('takes a document of exactly 10 MB and answers 413 to one byte more', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'BE' })
    const fields = { ...companyFields, 'address.country': 'BE' }
    const tooBig = await submit(company.basic, number.id, fields, {
      address_document: { bytes: PDF(MAX_DOCUMENT_BYTES + 1), name: 'big.pdf' },
    })
    expect(tooBig.status).toBe(413)
    expect(tooBig.body).toMatchObject({ code: 'payload_too_large', field: 'address_document' })
    expect((await numberState(number.id)).verificationState).toBe('pending_documents')
    const atLimit = await submit(company.basic, number.id, fields, {
      address_document: { bytes: PDF(MAX_DOCUMENT_BYTES), name: 'big.pdf' },
    })
    expect(atLimit.status).toBe(201)
    expect(atLimit.body.submission.documents[0].size).toBe(MAX_DOCUMENT_BYTES)
  })

  it('answers 413 to a form larger than two documents at their limit, before reading it', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const res = await submit(company.basic, number.id, companyFields, {
      identity_document: { bytes: PDF(MAX_DOCUMENT_BYTES + 600_000), name: 'a.pdf' },
      address_document: { bytes: PDF(MAX_DOCUMENT_BYTES + 600_000), name: 'b.pdf' },
    })
    expect(res.status).toBe(413)
    expect(res.body.field).toBe('(body)')
  })

  it('requires the documents the country rule lists, naming the missing field', async () => {
    const company = await hub.createCompany()
    const fr = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const noIdentity = await submit(company.basic, fr.id, companyFields, {
      address_document: { bytes: PDF(), name: 'bill.pdf' },
    })
    expect(noIdentity.status).toBe(400)
    expect(noIdentity.body).toMatchObject({
      field: 'identity_document',
      message: expect.stringMatching(/France/),
    })
    const noAddress = await submit(company.basic, fr.id, companyFields, {
      identity_document: { bytes: PDF(), name: 'id.pdf' },
    })
    expect(noAddress.body.field).toBe('address_document')

    const be = await createTestNumber(hub.db, { companyId: company.id, country: 'BE' })
    const beFields = { ...companyFields, 'address.country': 'BE' }
    const beNothing = await submit(company.basic, be.id, beFields, {
      identity_document: { bytes: PDF(), name: 'id.pdf' },
    })
    expect(beNothing.status).toBe(400)
    expect(beNothing.body.field).toBe('address_document')
    const beOk = await submit(company.basic, be.id, beFields, {
      address_document: { bytes: PDF(), name: 'b.pdf' },
    })
    expect(beOk.status).toBe(201)
  })

  it('validates the information with a 400 naming the field', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const cases: [Record<string, string>, Record<string, Upload>, string][] = [
      [{ ...companyFields, kind: '' }, frDocuments(), 'kind'],
      [{ ...companyFields, kind: 'robot' }, frDocuments(), 'kind'],
      [{ ...companyFields, name: '  ' }, frDocuments(), 'name'],
      [{ ...companyFields, registration_number: '' }, frDocuments(), 'registration_number'],
      [{ ...companyFields, 'address.city': '' }, frDocuments(), 'address.city'],
      [{ ...companyFields, 'address.country': 'France' }, frDocuments(), 'address.country'],
      [{ ...companyFields, 'address.country': 'DE' }, frDocuments(), 'address.country'],
      [{ ...parisAddress, kind: 'personal', first_name: 'Ada' }, frDocuments(), 'last_name'],
      [
        { ...parisAddress, kind: 'personal', first_name: 'A', last_name: 'B', birth_date: '1990-02-30' },
        frDocuments(),
        'birth_date',
      ],
      [
        { ...parisAddress, kind: 'personal', first_name: 'A', last_name: 'B', birth_date: '2030-01-01' },
        frDocuments(),
        'birth_date',
      ],
      [companyFields, { ...frDocuments(), passport: { bytes: PDF(), name: 'p.pdf' } }, 'passport'],
      [companyFields, { ...frDocuments(), kind: { bytes: PDF(), name: 'k.pdf' } }, 'kind'],
      [{ ...companyFields, identity_document: 'see attached' }, {}, 'identity_document'],
      [
        companyFields,
        { ...frDocuments(), address_document: { bytes: new Uint8Array(0), name: 'e.pdf' } },
        'address_document',
      ],
    ]
    for (const [fields, files, field] of cases) {
      const res = await submit(company.basic, number.id, fields, files)
      expect(res.status, field).toBe(400)
      expect(res.body.field, JSON.stringify(fields)).toBe(field)
    }
    const asJson = await hub.call('POST', `/v1/numbers/${number.id}/verification`, {
      auth: company.basic,
      body: companyFields,
    })
    expect(asJson.status).toBe(400)
    expect(asJson.body.message).toMatch(/multipart\/form-data/)
    expect((await numberState(number.id)).verificationState).toBe('pending_documents')
    expect(hub.blobs.keys().filter((k) => k.startsWith(`c/${company.id}/`))).toEqual([])
  })

  it('answers 409 when the number does not take a submission now', async () => {
    const company = await hub.createCompany()
    const { number } = await submittedFrNumber(company)
    const again = await submit(company.basic, number.id, companyFields, frDocuments())
    expect(again.status).toBe(409)
    expect(again.body.message).toMatch(/already in review/)

    const active = await createTestNumber(hub.db, { companyId: company.id, verificationState: 'active' })
    const activeRes = await submit(company.basic, active.id, companyFields, frDocuments())
    expect(activeRes.status).toBe(409)
    expect(activeRes.body.message).toMatch(/already approved/)

    const nl = await createTestNumber(hub.db, { companyId: company.id, country: 'NL' })
    const nlRes = await submit(company.basic, nl.id, { ...companyFields, 'address.country': 'NL' }, {})
    expect(nlRes.status).toBe(409)
    expect(nlRes.body.message).toMatch(/does not need/)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => {
      const number = await createTestNumber(hub.db, { companyId: company.id })
      return `/v1/numbers/${number.id}/verification`
    },
    adminOnly: true,
    ownedResource: true,
  })

  it("answers 404 to another company's number even with a complete form", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: owner.id, country: 'FR', area: '1' })
    const res = await submit(intruder.basic, number.id, companyFields, frDocuments())
    expect(res.status).toBe(404)
    expect((await numberState(number.id)).verificationState).toBe('pending_documents')
  })
})

describe('GET /v1/numbers/:id/verification/documents/:doc_id', () => {
  it('downloads the file as uploaded, with its detected type', async () => {
    const company = await hub.createCompany()
    const number = await createTestNumber(hub.db, { companyId: company.id, country: 'FR', area: '1' })
    const docs = {
      identity_document: { bytes: PNG(), name: 'pièce d’identité "recto".pdf', type: 'application/pdf' },
      address_document: { bytes: PDF(), name: 'C:\\scans\\bill.pdf' },
    }
    const created = await submit(company.basic, number.id, companyFields, docs)
    const [identity, address] = created.body.submission.documents
    expect(address.filename).toBe('bill.pdf')
    const res = await hub.app.request(identity.download_link, {
      headers: { authorization: company.adminBearer },
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const disposition = res.headers.get('content-disposition')!
    expect(disposition).toMatch(/^attachment; filename="pi_ce d_identit_ _recto_.pdf"; filename\*=UTF-8''/)
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe('pièce d’identité "recto".pdf')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(docs.identity_document.bytes)
  })

  it("answers 404 for another company's document, and for a document of another number", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const { number, submission } = await submittedFrNumber(owner)
    const docId = submission.documents[0].id
    const intruderNumber = await createTestNumber(hub.db, { companyId: intruder.id })
    for (const path of [
      `/v1/numbers/${number.id}/verification/documents/${docId}`,
      `/v1/numbers/${intruderNumber.id}/verification/documents/${docId}`,
    ]) {
      const res = await hub.call('GET', path, { auth: intruder.basic })
      expect(res.status, path).toBe(404)
    }
    const otherNumber = await createTestNumber(hub.db, { companyId: owner.id })
    const wrongNumber = await hub.call(
      'GET',
      `/v1/numbers/${otherNumber.id}/verification/documents/${docId}`,
      {
        auth: owner.basic,
      },
    )
    expect(wrongNumber.status).toBe(404)
    const missing = await hub.call('GET', `/v1/numbers/${number.id}/verification/documents/2147483000`, {
      auth: owner.basic,
    })
    expect(missing.status).toBe(404)
    const bad = await hub.call('GET', `/v1/numbers/${number.id}/verification/documents/x`, {
      auth: owner.basic,
    })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('doc_id')
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => {
      const { number, submission } = await submittedFrNumber(company)
      return `/v1/numbers/${number.id}/verification/documents/${submission.documents[0].id}`
    },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('operator review', () => {
  it('approve: the number goes active, admins are mailed, number.verification_approved is recorded', async () => {
    const company = await hub.createCompany('Acme Approve')
    const { number, submission } = await submittedFrNumber(company)
    hub.clock.advance(3_600_000)
    const result = await approveVerification(review, { numberId: number.id })
    expect(result).toMatchObject({ number_id: number.id, submission_id: submission.id, state: 'active' })

    const get = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.basic })
    expect(get.body.verification).toMatchObject({ state: 'active', active: true, rejection_reason: null })
    expect(get.body.verification.submissions[0]).toMatchObject({
      id: submission.id,
      state: 'approved',
      reviewed_at: hub.clock.now().toISOString(),
    })
    expect(isNumberActive(await numberState(number.id))).toBe(true)

    const admin = await hub.userById(company.adminUserId)
    const mail = hub.mailer.lastTo(admin!.email)
    expect(mail?.subject).toBe(`Your number ${number.e164} is live`)
    expect(mail?.text).toContain('Acme Approve')
    const agent = await hub.userById(company.agentUserId)
    expect(hub.mailer.lastTo(agent!.email)).toBeUndefined()

    const events = await hub.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.companyId, company.id), eq(outbox.event, 'number.verification_approved')))
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      resource: 'number',
      data: { id: number.id, verification: { state: 'active', number_id: number.id } },
    })
    const again = approveVerification(review, { numberId: number.id })
    await expect(again).rejects.toMatchObject({ code: 'conflict' })
  })

  it('reject: the reason is shown and mailed; the company resubmits and is in review again', async () => {
    const company = await hub.createCompany()
    const { number, submission } = await submittedFrNumber(company)
    await rejectVerification(
      review,
      { submissionId: submission.id },
      '  The proof of address is older than 3 months  ',
    )

    const get = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.basic })
    expect(get.body.verification).toMatchObject({
      state: 'rejected',
      active: false,
      rejection_reason: 'The proof of address is older than 3 months',
    })
    expect(get.body.verification.submissions[0]).toMatchObject({
      state: 'rejected',
      reason: 'The proof of address is older than 3 months',
    })
    const admin = await hub.userById(company.adminUserId)
    expect(hub.mailer.lastTo(admin!.email)?.text).toContain('The proof of address is older than 3 months')
    const [event] = await hub.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.companyId, company.id), eq(outbox.event, 'number.verification_rejected')))
    expect(event?.data).toMatchObject({ verification: { state: 'rejected' } })

    hub.clock.advance(60_000)
    const resubmitted = await submit(company.basic, number.id, companyFields, frDocuments())
    expect(resubmitted.status).toBe(201)
    const after = await hub.call('GET', `/v1/numbers/${number.id}/verification`, { auth: company.basic })
    expect(after.body.verification).toMatchObject({ state: 'in_review', rejection_reason: null })
    expect(after.body.verification.submissions.map((s: { state: string }) => s.state)).toEqual([
      'in_review',
      'rejected',
    ])
    await approveVerification(review, { numberId: number.id })
    expect((await numberState(number.id)).verificationState).toBe('active')
  })

  it('refuses an empty reason and numbers with nothing in review', async () => {
    const company = await hub.createCompany()
    const { number } = await submittedFrNumber(company)
    await expect(rejectVerification(review, { numberId: number.id }, '   ')).rejects.toMatchObject({
      code: 'bad_request',
    })
    const pending = await createTestNumber(hub.db, { companyId: company.id })
    await expect(approveVerification(review, { numberId: pending.id })).rejects.toMatchObject({
      code: 'conflict',
    })
    await expect(approveVerification(review, { numberId: 2147483000 })).rejects.toMatchObject({
      code: 'not_found',
    })
    expect((await numberState(number.id)).verificationState).toBe('in_review')
  })
})

describe('OpenAPI', () => {
  it('documents the verification routes, the multipart form and the binary download', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(doc.status).toBe(200)
    const submitOp = doc.body.paths['/v1/numbers/{id}/verification'].post
    const form = submitOp.requestBody.content['multipart/form-data'].schema
    expect(Object.keys(form.properties)).toEqual(
      expect.arrayContaining(['kind', 'address.country', 'identity_document', 'address_document']),
    )
    expect(form.properties.identity_document).toMatchObject({ type: 'string', format: 'binary' })
    expect(Object.keys(submitOp.responses)).toEqual(expect.arrayContaining(['201', '409', '413']))
    const download = doc.body.paths['/v1/numbers/{id}/verification/documents/{doc_id}'].get
    expect(Object.keys(download.responses['200'].content)).toEqual([
      'application/pdf',
      'image/jpeg',
      'image/png',
    ])
    expect(doc.body.components.schemas).toHaveProperty('NumberVerification')
  })
})
