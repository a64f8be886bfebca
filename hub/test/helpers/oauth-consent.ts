import { expect } from 'vitest'
import type { TestCompany, TestHub } from './hub.ts'

/**
 * The OAuth connect of an integration as an admin's browser goes through it, in process: the
 * authorize URL, the sandbox CRMs' consent page, the callback's result page.
 */

/** `POST /v1/integrations/:id/connect`: the authorize URL an admin is sent to. */
export async function connectUrl(hub: TestHub, company: TestCompany, id: number): Promise<string> {
  const res = await hub.call('POST', `/v1/integrations/${id}/connect`, { auth: company.basic })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.authorize_url
}

/** The sandbox consent page's form, posted as the admin's browser posts it. */
export function postConsentForm(hub: TestHub, form: Record<string, string>) {
  return hub.app.request('http://hub.test/v1/integrations/sandbox/authorize', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })
}

/**
 * What an admin's browser does with a sandbox authorize URL: open the consent page, press Allow
 * (`tamper` replaces fields of the form), and get where the redirect goes (the OAuth callback).
 */
export async function approveSandboxConsent(
  hub: TestHub,
  authorizeUrl: string,
  tamper: Partial<Record<string, string>> = {},
): Promise<string> {
  const url = new URL(authorizeUrl)
  const pageRes = await hub.app.request(`http://hub.test${url.pathname}${url.search}`)
  expect(pageRes.status).toBe(200)
  const html = await pageRes.text()
  expect(html).toContain('<form method="post"')
  expect(html).not.toContain('<script')
  const form: Record<string, string> = { state: url.searchParams.get('state')!, decision: 'allow' }
  const challenge = url.searchParams.get('code_challenge')
  if (challenge) form.code_challenge = challenge
  const answer = await postConsentForm(hub, { ...form, ...tamper } as Record<string, string>)
  expect(answer.status).toBe(302)
  return answer.headers.get('location')!
}

/** The browser following the redirect to the OAuth callback: the result page. */
export async function openOAuthCallback(hub: TestHub, location: string) {
  const u = new URL(location)
  const res = await hub.app.request(`http://hub.test${u.pathname}${u.search}`)
  return { status: res.status, html: await res.text(), headers: res.headers }
}
