import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../helpers/hub.ts'
import { launchChromium } from './chromium.ts'

let hub: TestHub
let server: ServerType
let base: string
let browser: Awaited<ReturnType<typeof launchChromium>>

beforeAll(async () => {
  hub = await createTestHub()
  server = serve({ fetch: hub.app.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((done) => server.once('listening', done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await new Promise((done) => server?.close(done))
  await hub?.close()
})

/**
 * How long a page may take to show the outcome of a submit: the browser posts, the hub hashes
 * the password (argon2id) and answers, the page updates. expect.poll's default (1 s) is short
 * for that on a loaded 2-core CI box; this is a wait for background work, not a business timeout.
 */
const settles = { timeout: 15_000, interval: 50 }

/** The link of the last mail to `to`, pointed at this loopback server. */
function linkFromMail(to: string): string {
  const mail = hub.mailer.lastTo(to)
  const match = mail?.text.match(/https?:\/\/\S+/)
  expect(match, mail?.text).toBeTruthy()
  const url = new URL(match![0])
  return `${base}${url.pathname}${url.search}`
}

describe('the pages the emails link to (in Chromium)', () => {
  it('lets an invited user choose a password, then sign in with it', async () => {
    const company = await hub.createCompany()
    const email = `invitee-${Date.now()}@example.test`
    const created = await hub.call('POST', '/v1/users', {
      auth: company.basic,
      body: { email, first_name: 'Grace' },
    })
    expect(created.status).toBe(201)

    const page = await browser.context.newPage()
    await page.goto(linkFromMail(email))
    await page.getByLabel('Last name').fill('Hopper')
    await page.getByLabel('Password', { exact: true }).fill('a long enough password')
    await page.getByLabel('Confirm password').fill('a different password!')
    await page.getByRole('button', { name: 'Accept the invitation' }).click()
    await expect.poll(() => page.locator('#status').textContent(), settles).toContain('differ')

    await page.getByLabel('Confirm password').fill('a long enough password')
    await page.getByRole('button', { name: 'Accept the invitation' }).click()
    await expect.poll(() => page.locator('#status').textContent(), settles).toContain('You can now sign in')

    const login = await hub.call('POST', '/v1/auth/login', {
      body: { email, password: 'a long enough password' },
    })
    expect(login.status).toBe(200)
    expect(login.body.user.name).toBe('Grace Hopper')

    // The link is single-use: opening it again and submitting says so.
    await page.goto(linkFromMail(email))
    await page.getByLabel('Password', { exact: true }).fill('another long password')
    await page.getByLabel('Confirm password').fill('another long password')
    await page.getByRole('button', { name: 'Accept the invitation' }).click()
    await expect.poll(() => page.locator('#status').getAttribute('class'), settles).toBe('error')
    await page.close()
  })

  it('resets a forgotten password from the emailed link', async () => {
    const company = await hub.createCompany()
    const admin = await hub.userById(company.adminUserId)
    expect(
      (await hub.call('POST', '/v1/auth/password/forgot', { body: { email: admin!.email } })).status,
    ).toBe(202)
    await expect.poll(() => hub.mailer.lastTo(admin!.email), settles).toBeTruthy()

    const page = await browser.context.newPage()
    await page.goto(linkFromMail(admin!.email))
    expect(await page.getByLabel('First name').count()).toBe(0)
    await page.getByLabel('Password', { exact: true }).fill('my brand new password')
    await page.getByLabel('Confirm password').fill('my brand new password')
    await page.getByRole('button', { name: 'Set the new password' }).click()
    await expect.poll(() => page.locator('#status').textContent(), settles).toContain('You can now sign in')
    await page.close()

    const login = await hub.call('POST', '/v1/auth/login', {
      body: { email: admin!.email, password: 'my brand new password' },
    })
    expect(login.status).toBe(200)
  })

  it('says the link is incomplete when the token is missing', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${base}/invitations/accept`)
    await expect.poll(() => page.locator('#status').textContent(), settles).toContain('incomplete')
    expect(await page.locator('form').isHidden()).toBe(true)
    await page.close()
  })
})
