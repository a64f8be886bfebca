import type { HubDeps } from '../deps.ts'
import { queueIntegrationSync } from './sync-job.ts'

/**
 * After an integration changed (connected, enabled, settings, numbers, deleted): this process's
 * caller cards forget the company's entries at once (other processes within their 2 s memo and
 * the cards' key), and with `resync` a sync run is queued for what waited meanwhile (calls
 * queued while it needed reconnecting; calls made while it was disabled are not back-filled).
 */
export async function integrationChanged(
  deps: Pick<HubDeps, 'callerInfo' | 'queue' | 'clock'>,
  companyId: number,
  integrationId: number | null,
  opts: { resync: boolean },
): Promise<void> {
  deps.callerInfo.forgetCompany(companyId)
  if (opts.resync && integrationId !== null)
    await queueIntegrationSync(deps.queue, integrationId, `changed:${deps.clock.now().getTime()}`)
}
