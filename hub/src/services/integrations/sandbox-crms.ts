import type { ConnectorSlug } from '@switchboard/connectors'
import { startDynamicsFake } from '@switchboard/connectors/testing/dynamics-fake'
import { startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import { startSalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import { startZendeskFake } from '@switchboard/connectors/testing/zendesk-fake'

/**
 * The built-in sandbox CRMs: the connectors' contract-faithful fakes, served on loopback by
 * this hub process, so a new user can connect "a HubSpot", link a number, place a simulated
 * call and read the activity the CRM received, without a vendor account. They keep their data
 * in memory (gone at restart; a deleted integration's sandbox stays up, unreachable, until
 * then) and live in the process that started them: a sandbox integration works on a
 * single-process hub (HUB_ROLE=all), which is how `npm start` runs.
 */
/**
 * Each kind's fake, so callers read its own maps (HubSpot calls, Salesforce tasks, Zendesk
 * tickets, Dynamics phonecalls).
 */
export type SandboxFakes = {
  hubspot: Awaited<ReturnType<typeof startHubspotFake>>
  salesforce: Awaited<ReturnType<typeof startSalesforceFake>>
  zendesk: Awaited<ReturnType<typeof startZendeskFake>>
  dynamics: Awaited<ReturnType<typeof startDynamicsFake>>
}
export type SandboxFake = SandboxFakes[keyof SandboxFakes]

/** The OAuth client of the sandbox CRMs: their token endpoints accept it (and only it). */
export const SANDBOX_APP = { clientId: 'switchboard-sandbox', clientSecret: 'switchboard-sandbox-secret' }

const starters: Partial<Record<ConnectorSlug, () => Promise<SandboxFake>>> = {
  hubspot: () => startHubspotFake(SANDBOX_APP),
  salesforce: () => startSalesforceFake(SANDBOX_APP),
  zendesk: () => startZendeskFake(SANDBOX_APP),
  // One server plays both the Entra tenant and the org (its url is its orgUrl), so the sandbox
  // endpoints crmEndpoints gives every kind (the fake's url, for the API and for OAuth) fit it.
  dynamics: () => startDynamicsFake(SANDBOX_APP),
}

/**
 * One sandbox CRM per sandbox integration: each is "its own account", so what one company's
 * sandbox holds (contacts, logged calls) is never seen by another's lookups or listings.
 */
const running = new Map<string, Promise<SandboxFake>>()
const keyOf = (kind: ConnectorSlug, integrationId: number) => `${kind}:${integrationId}`

export function sandboxAvailable(kind: ConnectorSlug): boolean {
  return kind in starters
}

/** The sandbox CRM of this integration, started on first use. */
export function sandboxCrm<K extends keyof SandboxFakes>(
  kind: K,
  integrationId: number,
): Promise<SandboxFakes[K]>
export function sandboxCrm(kind: ConnectorSlug, integrationId: number): Promise<SandboxFake>
export function sandboxCrm(kind: ConnectorSlug, integrationId: number): Promise<SandboxFake> {
  const start = starters[kind]
  if (!start) throw new Error(`no sandbox for ${kind}`)
  const key = keyOf(kind, integrationId)
  let fake = running.get(key)
  if (!fake) {
    fake = start()
    running.set(key, fake)
    fake.catch(() => running.delete(key))
  }
  return fake
}

/**
 * What a real integration's `instance_url` is, for this integration's sandbox CRM: the sandbox
 * Dynamics' org URL, which the connector's OAuth scope names (`<org>/.default`) and its tokens
 * are issued for; null for the other kinds (their sandbox's hosts are all in crmEndpoints).
 */
export async function sandboxInstanceUrl(kind: ConnectorSlug, integrationId: number): Promise<string | null> {
  const fake = await sandboxCrm(kind, integrationId)
  return 'orgUrl' in fake ? fake.orgUrl : null
}

/**
 * Serves an integration from the sandbox CRM of another one (the same account connected twice);
 * tests use it to fill one sandbox before the integrations that read it exist.
 */
export function shareSandboxCrm(
  kind: ConnectorSlug,
  fromIntegrationId: number,
  toIntegrationId: number,
): void {
  const fake = running.get(keyOf(kind, fromIntegrationId))
  if (!fake) throw new Error(`no ${kind} sandbox runs for integration ${fromIntegrationId}`)
  running.set(keyOf(kind, toIntegrationId), fake)
}

/** Stops the sandbox CRMs this process started (hub shutdown, tests). */
export async function stopSandboxCrms(): Promise<void> {
  const all = [...new Set(running.values())]
  running.clear()
  await Promise.all(all.map(async (f) => (await f).close()))
}
