import { readdirSync, readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type OpenMeteoFake, startOpenMeteoFake } from '@switchboard/connectors/testing/open-meteo-fake'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureExtensionBuild } from '../../../scripts/build-extension.mjs'
import { systemClock } from '../../src/core/clock.ts'
import { createWeatherLookup } from '../../src/services/caller-info/weather.ts'
import { stopSandboxCrms } from '../../src/services/integrations/sandbox-crms.ts'
import { apiTag } from '../helpers/call-scenes.ts'
import { addIntegration, sandboxHubspot, testTokenKeys } from '../helpers/caller-info.ts'
import { callableNumber, until } from '../helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../helpers/hub.ts'
import { launchChromium } from './chromium.ts'

/**
 * The Chrome extension's production build in Debian's Chromium against a real hub on loopback:
 * an agent signs in from the options page, clicks a number on a (local replica of a) HubSpot
 * contact page, and takes a simulated inbound call in the side panel. Screenshots of each step
 * go to test-results/extension/.
 */
const here = dirname(fileURLToPath(import.meta.url))
const ARTEFACTS = resolve(here, '../../../test-results/extension')
const PASSWORD = 'correct horse battery'

let hub: TestHub
let meteo: OpenMeteoFake
/** A Paris landline: the card shows the place, its local time and weather. */
const CALLER = '+33142685300'
let hubUrl: string
let pages: Server
let pagesUrl: string
let browser: Awaited<ReturnType<typeof launchChromium>>
let extensionId: string

/** A wait for the browser and the hub to catch up (a loaded 2-core CI box), not a business timeout. */
const settles = { timeout: 20_000, interval: 100 }

beforeAll(async () => {
  // Builds only when a source is newer than the build (npm test has usually built it already).
  const build = ensureExtensionBuild()
  await mkdir(ARTEFACTS, { recursive: true })
  // The caller card as a real hub makes it: a sandbox HubSpot linked to the number, the weather
  // app on an Open-Meteo on loopback; the deadline is generous for a loaded CI machine.
  meteo = await startOpenMeteoFake()
  meteo.clock.now = Date.now()
  meteo.setWeather(48.85341, 2.3488, { temperature: 14.2, code: 61 })
  hub = await createTestHub({
    workers: true,
    callerCards: true,
    env: { CRM_TOKEN_KEYS: testTokenKeys(), CALLER_INFO_DEADLINE_MS: '15000' },
    weather: createWeatherLookup(
      { WEATHER_PROVIDER: 'open-meteo', OPEN_METEO_URL: meteo.url, OPEN_METEO_GEOCODING_URL: meteo.url },
      systemClock,
    ),
  })
  hubUrl = await hub.listen()
  const fixtures = join(here, 'fixtures')
  const names = new Set(readdirSync(fixtures))
  pages = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1)
    if (!names.has(name)) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>')
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(readFileSync(join(fixtures, name)))
  })
  await new Promise<void>((done) => pages.listen(0, '127.0.0.1', done))
  pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`
  browser = await launchChromium([`--disable-extensions-except=${build}`, `--load-extension=${build}`])
  const sw = await serviceWorkerOf(browser.context)
  extensionId = new URL(sw.url()).host
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (pages) await new Promise((done) => pages.close(done))
  await hub?.close()
  await stopSandboxCrms()
  await meteo?.close()
})

async function serviceWorkerOf(context: BrowserContext) {
  const isOurs = (url: string) => url.endsWith('/static/background/index.js')
  const existing = context.serviceWorkers().find((w) => isOurs(w.url()))
  if (existing) return existing
  for (;;) {
    const worker = await context.waitForEvent('serviceworker')
    if (isOurs(worker.url())) return worker
  }
}

const extensionPage = async (path: string) => {
  const page = await browser.context.newPage()
  await page.goto(`chrome-extension://${extensionId}/${path}`)
  return page
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true })

async function signInFromOptions(page: Page, fields: { url: string; email: string; password: string }) {
  await page.getByLabel('Hub URL').fill(fields.url)
  await page.getByLabel('Email').fill(fields.email)
  await page.getByLabel('Password').fill(fields.password)
  const status = page.locator('#status')
  const before = (await status.count()) ? await status.textContent() : null
  await page.getByRole('button', { name: 'Sign in' }).click()
  // Each sign-in of these tests answers something other than the one before it.
  await expect
    .poll(async () => ((await status.count()) ? await status.textContent() : null), settles)
    .not.toBe(before)
  return (await status.textContent()) ?? ''
}

async function adminOf(company: TestCompany) {
  const admin = await hub.userById(company.adminUserId)
  return { id: admin!.id, email: admin!.email }
}

describe('the Chrome extension (production build in Chromium)', () => {
  it('says why a sign-in failed: nothing at that address, not a hub, wrong password', async () => {
    const company = await hub.createCompany()
    const admin = await adminOf(company)
    const page = await extensionPage('options.html')

    // A port nothing listens on (the hub's own port, one below the fixtures server, is taken).
    const closed = createServer()
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done))
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise((done) => closed.close(done))
    expect(await signInFromOptions(page, { url: deadUrl, email: admin.email, password: PASSWORD })).toContain(
      'No hub answers',
    )
    expect(
      await signInFromOptions(page, { url: pagesUrl, email: admin.email, password: PASSWORD }),
    ).toContain('not a Switchboard hub')
    expect(
      await signInFromOptions(page, { url: hubUrl, email: admin.email, password: 'wrong password' }),
    ).toBe('Wrong email or password')
    await shot(page, '0-sign-in-wrong-password')
    await page.close()
  })

  it('signs in, calls a number clicked on a HubSpot page from the line picked, then takes an inbound call with its caller card, records, comments, hangs up and tags it', async () => {
    const company = await hub.createCompany()
    const admin = await adminOf(company)
    // Two lines: the agent may call out from both (so click-to-call asks which), and the first
    // rings them, records its calls (pausable) and requires a tag.
    const number = await callableNumber(hub, company, (s) => ({
      messages: { ...s.messages, welcome: null },
      outbound_only: { user_ids: [admin.id], team_ids: [] },
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: admin.id, ring_time_sec: 20 }] },
      recording: { ...s.recording, inbound: { auto_start: true, allow_pause_resume: true } },
      mandatory_tagging: true,
    }))
    const second = await callableNumber(hub, company, () => ({
      outbound_only: { user_ids: [admin.id], team_ids: [] },
    }))
    const tag = await apiTag(hub, company, 'Qualified lead')
    // The company's HubSpot (the built-in sandbox) knows the caller; it has the weather app too.
    const hubspot = await sandboxHubspot()
    hubspot.addOwner({ id: '501', email: 'ada@crm.test', firstName: 'Ada', lastName: 'Admin' })
    hubspot.addContact({
      firstname: 'Jeanne',
      lastname: 'Martin',
      phone: CALLER,
      company: 'Boulangerie Martin',
      hubspot_owner_id: '501',
    })
    await addIntegration(hub, company, 'hubspot', {
      tokens: hubspot.issueTokens(),
      accountId: '4242',
      numberIds: [number.id],
      name: 'HubSpot EMEA',
    })
    await addIntegration(hub, company, 'weather')

    // 1. Sign in from the options page, and allow the (loopback) replica pages for click-to-call.
    const options = await extensionPage('options.html')
    expect(await signInFromOptions(options, { url: hubUrl, email: admin.email, password: PASSWORD })).toBe(
      'Signed in as Ada Admin',
    )
    const allowed = options.getByRole('textbox', { name: 'Allowed sites' })
    await allowed.fill('127.0.0.1')
    await allowed.press('Enter')
    await expect
      .poll(() => options.getByRole('list', { name: 'Allowed sites' }).textContent(), settles)
      .toContain('127.0.0.1')
    await shot(options, '1-signed-in-site-allowed')

    // 2. The side panel connects to the hub's realtime channel.
    const panel = await extensionPage('sidepanel.html')
    await expect
      .poll(() => panel.locator('#connection').getAttribute('data-connection'), settles)
      .toBe('online')
    await shot(panel, '2-side-panel-online')

    // 3. On the contact page the two numbers are found (the phone and the mobile link's text;
    //    not the invoice, ticket, record id or date, nor the one typed in the note editor); the
    //    Call button of the first asks which line to call from, and the hub calls from it.
    const crm = await browser.context.newPage()
    await crm.goto(`${pagesUrl}/hubspot-contact.html`)
    const overlay = crm.locator('switchboard-c2d')
    await expect.poll(() => overlay.getAttribute('data-numbers'), settles).toBe('2')
    // The page's own DOM is untouched: the number is still the span's only content.
    expect(await crm.locator('[data-selenium-test="phone"]').innerHTML()).toBe('+33 6 12 34 56 78')
    await crm.locator('[data-selenium-test="phone"]').hover()
    const callButton = overlay.locator('button.chip')
    await expect.poll(() => callButton.isVisible(), settles).toBe(true)
    expect(await callButton.getAttribute('data-number')).toBe('+33612345678')
    await shot(crm, '3-hubspot-number-detected')
    await callButton.click()
    const picker = overlay.getByRole('menu')
    await expect.poll(() => picker.isVisible(), settles).toBe(true)
    expect(await picker.getByRole('menuitem').count()).toBe(2)
    await shot(crm, '3b-hubspot-line-picker')
    await picker.getByRole('menuitem', { name: second.name }).click()

    const outbound = await until(async () => {
      const res = await hub.call('GET', '/v1/calls', { auth: company.basic })
      return res.body.calls.find(
        (c: { direction: string; user: { id: number } | null }) =>
          c.direction === 'outbound' && c.user?.id === admin.id,
      ) as { id: number; raw_digits: string; number: { id: number } } | undefined
    }, 'the outbound call')
    expect(outbound.number.id).toBe(second.id)
    await expect.poll(() => panel.locator('#call-card').getAttribute('data-status'), settles).toBe('ringing')
    expect(await panel.locator('#call-external-number').textContent()).toBe('+33612345678')
    await shot(panel, '4-side-panel-outbound-ringing')
    await panel.getByRole('button', { name: 'Decline' }).click()
    await expect.poll(() => panel.locator('#call-card').count(), settles).toBe(0)

    // 4. The other CRMs' pages: Salesforce Lightning (numbers inside nested shadow roots, and
    //    one in a same-origin frame), Zendesk (a comment that loads after the page), Dynamics
    //    365 (a grid, with a tel: link); ids, cases, orders, invoices and dates are left alone.
    await crm.goto(`${pagesUrl}/salesforce-contact.html`)
    await expect.poll(() => overlay.getAttribute('data-numbers'), settles).toBe('2')
    const frameOverlay = crm.frameLocator('iframe').locator('switchboard-c2d')
    await expect.poll(() => frameOverlay.getAttribute('data-numbers'), settles).toBe('1')
    await crm.locator('lightning-formatted-phone').first().locator('a').hover()
    await expect.poll(() => callButton.getAttribute('data-number'), settles).toBe('+33472001122')
    await shot(crm, '5-salesforce-shadow-dom-and-frame')

    await crm.goto(`${pagesUrl}/zendesk-ticket.html`)
    await expect.poll(() => crm.locator('[data-test-id="late-comment"]').count(), settles).toBe(1)
    await expect.poll(() => overlay.getAttribute('data-numbers'), settles).toBe('2')
    await crm.locator('[data-test-id="requester-phone"]').hover({ position: { x: 10, y: 8 } })
    await expect.poll(() => callButton.getAttribute('data-number'), settles).toBe('+34612345678')
    await shot(crm, '6-zendesk-ticket')

    await crm.goto(`${pagesUrl}/dynamics-contacts.html`)
    await expect.poll(() => overlay.getAttribute('data-numbers'), settles).toBe('3')
    await shot(crm, '7-dynamics-contacts')

    // 5. A simulated inbound call rings in the side panel; the hub's caller card (pushed on the
    //    realtime channel as the hub does for ringing agents) shows who it is.
    const placed = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33 1 42 68 53 00', to: number.e164 },
    })
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)
    const callId = placed.body.call.id as number
    await expect
      .poll(() => panel.locator('#call-card').getAttribute('data-call-id'), settles)
      .toBe(String(callId))
    expect(await panel.locator('#call-external-number').textContent()).toBe(CALLER)
    expect(await panel.locator('#live-state').textContent()).toBe('Ringing')
    expect(await panel.locator('#call-card').textContent()).toContain(number.name)
    await expect.poll(() => panel.locator('#caller-name').textContent(), settles).toBe('Jeanne Martin')
    const card = panel.locator('#caller-card')
    expect(await panel.locator('#caller-company').textContent()).toBe('Boulangerie Martin')
    expect(await card.textContent()).toContain('Weather in Paris (caller’s area)')
    expect(await card.textContent()).toMatch(/14 °C · \w/)
    expect(await card.getByRole('button', { name: 'Open in HubSpot' }).count()).toBe(1)
    // An integration posts an insight card for the ringing call: the panel shows it, its link
    // opening out of the panel.
    const insight = await hub.call('POST', `/v1/calls/${callId}/insight_cards`, {
      auth: company.basic,
      body: {
        contents: [
          { type: 'title', text: 'Order 1042', link: 'https://shop.example.test/orders/1042' },
          { type: 'shortText', label: 'Plan', text: 'Enterprise' },
        ],
      },
    })
    expect(insight.status, JSON.stringify(insight.body)).toBe(201)
    const insights = panel.locator('#insight-cards')
    await expect.poll(() => insights.textContent(), settles).toContain('Order 1042')
    expect(await insights.textContent()).toContain('Plan Enterprise')
    expect(await insights.getByRole('link', { name: 'Order 1042' }).getAttribute('href')).toBe(
      'https://shop.example.test/orders/1042',
    )
    await shot(panel, '8-inbound-ringing-caller-card')

    // 6. Answer, pause the recording, comment, hang up: the number requires a tag before the next
    //    call, so the panel asks for it and the dialer waits; the tag is saved.
    await panel.getByRole('button', { name: 'Answer' }).click()
    await expect.poll(() => panel.locator('#call-card').getAttribute('data-status'), settles).toBe('answered')
    expect(await panel.locator('#live-state').textContent()).toBe('In call')
    await panel.getByRole('button', { name: 'Pause recording' }).click()
    await expect.poll(() => panel.locator('#call-card .rec').textContent(), settles).toBe('Recording paused')
    await panel.getByRole('textbox', { name: 'Comment' }).fill('Wants a callback about the invoice')
    await panel.getByRole('button', { name: 'Save comment' }).click()
    await expect.poll(() => panel.locator('#call-card').textContent(), settles).toContain('Comment saved')
    await shot(panel, '9-answered-recording-paused')

    await panel.getByRole('button', { name: 'Hang up' }).click()
    await expect.poll(() => panel.locator('#call-card').count(), settles).toBe(0)
    await expect.poll(() => panel.locator('#tags [role="alert"]').count(), settles).toBe(1)
    expect(await panel.locator('#live-state').textContent()).toBe('Tag required')
    await panel.locator('#dial-to').fill('+33 1 42 68 53 00')
    expect(await panel.getByRole('button', { name: 'Call', exact: true }).isDisabled()).toBe(true)
    await shot(panel, '10-hung-up-tag-required')
    await panel.getByLabel('Qualified lead').check()
    await panel.getByRole('button', { name: 'Save tags' }).click()
    await expect.poll(() => panel.locator('#tags').textContent(), settles).toContain('Tags saved')
    await expect
      .poll(() => panel.getByRole('button', { name: 'Call', exact: true }).isDisabled(), settles)
      .toBe(false)
    expect(await panel.locator('#recent-calls').textContent()).toContain(CALLER)
    await shot(panel, '11-tagged')

    const call = await until(async () => {
      const res = await hub.call('GET', `/v1/calls/${callId}`, { auth: company.basic })
      return res.body.call?.status === 'done' ? res.body.call : undefined
    }, 'the call, done')
    expect(call).toMatchObject({ direction: 'inbound', user: { id: admin.id }, missed_call_reason: null })
    expect(call.tags.map((t: { id: number }) => t.id)).toEqual([tag.id])
    expect(call.comments.map((c: { content: string }) => c.content)).toEqual([
      'Wants a callback about the invoice',
    ])

    // 7. Blocking the site in the options takes click-to-call off its pages at once.
    const blocked = options.getByRole('textbox', { name: 'Blocked sites' })
    await blocked.fill('127.0.0.1')
    await blocked.press('Enter')
    await expect.poll(() => overlay.count(), settles).toBe(0)
  }, 180_000)
})
