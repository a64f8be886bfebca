import { expect, it } from 'vitest'
import type { TestCompany, TestHub } from './hub.ts'

export type SecuredRoute = {
  method: string
  /** Path for the given company; resources it names must belong to that company. */
  path: (company: TestCompany) => string | Promise<string>
  body?: unknown
  /** Admin-only route: an agent's token gets 403. */
  adminOnly?: boolean
  /** Route addresses one resource: another company's id must answer 404, never its data. */
  ownedResource?: boolean
}

/**
 * The common security cases every route gets: no credentials (401), bad credentials (403),
 * an agent token on an admin route (403), and another company's id (404).
 */
export function securityCases(getHub: () => TestHub, route: SecuredRoute) {
  it(`${route.method} answers 401 without credentials`, async () => {
    const hub = getHub()
    const company = await hub.createCompany()
    const res = await hub.call(route.method, await route.path(company), { body: route.body })
    expect(res.status).toBe(401)
    expect(res.body).toMatchObject({ message: 'Unauthorized' })
  })

  it(`${route.method} answers 403 to bad credentials`, async () => {
    const hub = getHub()
    const company = await hub.createCompany()
    const path = await route.path(company)
    const wrongToken = `Basic ${Buffer.from(`${company.apiId}:not-the-token`).toString('base64')}`
    for (const auth of [wrongToken, 'Basic Zm9vOmJhcg==', 'Bearer sbs_nope', 'Basic', 'Token abc']) {
      const res = await hub.call(route.method, path, { auth, body: route.body })
      expect(res.status, auth).toBe(403)
      expect(res.body).toMatchObject({ message: 'Forbidden' })
    }
  })

  if (route.adminOnly) {
    it(`${route.method} answers 403 to an agent token`, async () => {
      const hub = getHub()
      const company = await hub.createCompany()
      const res = await hub.call(route.method, await route.path(company), {
        auth: company.agentBearer,
        body: route.body,
      })
      expect(res.status).toBe(403)
    })
  }

  if (route.ownedResource) {
    it(`${route.method} answers 404 for another company's resource`, async () => {
      const hub = getHub()
      const owner = await hub.createCompany()
      const intruder = await hub.createCompany()
      const path = await route.path(owner)
      const res = await hub.call(route.method, path, { auth: intruder.basic, body: route.body })
      expect(res.status).toBe(404)
      expect(JSON.stringify(res.body)).not.toContain(owner.apiId)
    })
  }
}
