/**
 * `npm run bench -- lookup [--callers 200] [--warm 20000]`: the caller card lookup
 * (services/caller-info) in this process, on an in-memory embedded database (PGlite), with a
 * number linked to a HubSpot and a Salesforce (the connectors' fakes on loopback, as the
 * built-in sandbox CRMs).
 * - cold: the first lookup of each of --callers numbers (both CRMs asked in parallel);
 * - warm: --warm lookups of those numbers again, as a ringing call's later agents and the
 *   extension make them: one indexed query for the integrations to ask, then the cache.
 * Prints `lookup.p99:` for warm lookups (target < 5 ms) and the cold p50 / p99 for information.
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { HubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import type { SalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import { eq } from 'drizzle-orm'
import { systemClock } from '../src/core/clock.ts'
import { createLogger } from '../src/core/logger.ts'
import { integrationNumbers, integrations } from '../src/db/schema/index.ts'
import { parseEnv } from '../src/env.ts'
import { callerCard, createCallerInfo } from '../src/services/caller-info/caller-info.ts'
import { createCompanyWithAdmin } from '../src/services/company/create-company.ts'
import { sealTokens } from '../src/services/integrations/connections.ts'
import { sandboxCrm, shareSandboxCrm, stopSandboxCrms } from '../src/services/integrations/sandbox-crms.ts'
import { openMemoryDatabase } from '../test/helpers/database.ts'
import { createTestNumber } from '../test/helpers/numbers-factory.ts'

const { values } = parseArgs({
  options: {
    callers: { type: 'string', default: '200' },
    warm: { type: 'string', default: '20000' },
  },
})
const CALLERS = Number(values.callers)
const WARM = Number(values.warm)

const env = parseEnv({ CRM_TOKEN_KEYS: `k1:${randomBytes(32).toString('base64')}` })
const handle = await openMemoryDatabase()
const db = handle.db
const clock = systemClock
const setup = await createCompanyWithAdmin(db, clock, {
  company: 'Bench Co',
  email: 'admin@bench.test',
  password: 'correct horse battery',
  firstName: 'Ada',
  lastName: 'Admin',
})
const companyId = setup.company_id
const number = await createTestNumber(db, { companyId })

// The sandbox CRMs, started under integration id 0 and shared with the integrations made below.
const hs = (await sandboxCrm('hubspot', 0)) as HubspotFake
const sf = (await sandboxCrm('salesforce', 0)) as SalesforceFake
const callers: string[] = []
for (let i = 0; i < CALLERS; i++) {
  const e164 = `+1415${String(2000000 + i).padStart(7, '0')}`
  callers.push(e164)
  hs.addContact({ firstname: 'Caller', lastname: String(i), phone: e164, company: 'Acme' })
  sf.add('Contact', { FirstName: 'Caller', LastName: String(i), Phone: e164 })
}
const now = clock.now()
for (const [kind, tokens, accountId] of [
  ['hubspot', hs.issueTokens(), '4242'],
  ['salesforce', sf.issueTokens(), '00D000000000001AAA'],
] as const) {
  const [row] = await db
    .insert(integrations)
    .values({
      companyId,
      kind,
      name: kind,
      sandbox: true,
      status: 'connected',
      settings: {},
      createdAt: now,
      updatedAt: now,
    })
    .returning()
  shareSandboxCrm(kind, 0, row!.id)
  const sealed = sealTokens(env, row!.id, {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: kind === 'hubspot' ? now.getTime() + 86_400_000 : null,
    accountId,
    instanceUrl: 'instanceUrl' in tokens ? tokens.instanceUrl : null,
  })
  await db.update(integrations).set({ tokens: sealed }).where(eq(integrations.id, row!.id))
  await db
    .insert(integrationNumbers)
    .values({ integrationId: row!.id, numberId: number.id, companyId, createdAt: now })
}

const deps = { env, db, clock, logger: createLogger('silent'), callerInfo: createCallerInfo({ env, clock }) }
const lookUp = (e164: string) => callerCard(deps, { companyId, phoneNumber: e164, numberId: number.id })

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
const ms = (n: number) => n.toFixed(2)

// Warm the process (connectors, HTTP agents, JIT) on numbers outside the measured set.
for (let i = 0; i < 5; i++) await lookUp(`+1415300000${i}`)

const cold: number[] = []
let incomplete = 0
for (const e164 of callers) {
  const t0 = performance.now()
  const card = await lookUp(e164)
  cold.push(performance.now() - t0)
  if (card.records.length !== 2 || !card.sources.every((s) => s.ok)) incomplete++
}
cold.sort((a, b) => a - b)

const warm: number[] = []
for (let i = 0; i < WARM; i++) {
  const t0 = performance.now()
  await lookUp(callers[i % callers.length]!)
  warm.push(performance.now() - t0)
}
warm.sort((a, b) => a - b)

console.log(`machine: ${process.version}, embedded database in process (PGlite), CRMs on loopback`)
console.log(
  `lookup.cold: p50 ${ms(percentile(cold, 0.5))} ms, p99 ${ms(percentile(cold, 0.99))} ms over ${cold.length} numbers (HubSpot + Salesforce fakes in parallel; ${incomplete} incomplete)`,
)
console.log(
  `lookup.warm: p50 ${ms(percentile(warm, 0.5))} ms, max ${ms(warm.at(-1)!)} ms over ${warm.length} lookups (cache hits ${deps.callerInfo.cache.hits})`,
)
console.log(`lookup.p99: ${ms(percentile(warm, 0.99))} ms (target < 5 ms)`)

await stopSandboxCrms()
await handle.close()
