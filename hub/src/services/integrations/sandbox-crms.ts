import type { ConnectorSlug } from '@switchboard/connectors'
import { startHubspotFake } from '@switchboard/connectors/testing/hubspot-fake'
import { startSalesforceFake } from '@switchboard/connectors/testing/salesforce-fake'
import { startZendeskFake } from '@switchboard/connectors/testing/zendesk-fake'

/**
 * The built-in sandbox CRMs: the connectors' contract-faithful fakes, served on loopback by
 * this hub process, so a new user can connect "a HubSpot", link a number, place a simulated
 * call and read the activity the CRM received, without a vendor account. They keep their data
 * in memory (gone at restart) and live in the process that started them: a sandbox integration
 * works on a single-process hub (HUB_ROLE=all), which is how `npm start` runs.
 */
type SandboxFake = Awaited<
  ReturnType<typeof startHubspotFake | typeof startSalesforceFake | typeof startZendeskFake>
>

/** The OAuth app the hub uses with its sandbox CRMs; they are started to accept exactly it. */
export const SANDBOX_APP = { clientId: 'switchboard-sandbox', clientSecret: 'switchboard-sandbox-secret' }

const starters: Partial<Record<ConnectorSlug, () => Promise<SandboxFake>>> = {
  hubspot: () => startHubspotFake(SANDBOX_APP),
  salesforce: () => startSalesforceFake(SANDBOX_APP),
  zendesk: () => startZendeskFake(SANDBOX_APP),
}

const running = new Map<ConnectorSlug, Promise<SandboxFake>>()

export function sandboxAvailable(kind: ConnectorSlug): boolean {
  return kind in starters
}

/** The sandbox CRM of this kind, started on first use. */
export function sandboxCrm(kind: ConnectorSlug): Promise<SandboxFake> {
  const start = starters[kind]
  if (!start) throw new Error(`no sandbox for ${kind}`)
  let fake = running.get(kind)
  if (!fake) {
    fake = start()
    running.set(kind, fake)
    fake.catch(() => running.delete(kind))
  }
  return fake
}

/** Stops the sandbox CRMs this process started (hub shutdown, tests). */
export async function stopSandboxCrms(): Promise<void> {
  const all = [...running.values()]
  running.clear()
  await Promise.all(all.map(async (f) => (await f).close()))
}
