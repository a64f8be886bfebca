import type { Links } from '../../core/links.ts'
import { catalogue, type IntegrationRow } from './connections.ts'
import { integrationSettings, type SettingsJson, toSettingsJson } from './settings.ts'

/** What the sync ledger holds for one integration, counted. */
export type LedgerCounts = { pending: number; failed: number }

export type IntegrationResource = {
  id: number
  direct_link: string
  kind: IntegrationRow['kind']
  /** The company's name for this connection (Aircall's `custom_name`, given too). */
  name: string
  custom_name: string
  /** The CRM's own name ("HubSpot"). */
  service_name: string
  status: IntegrationRow['status']
  active: boolean
  sandbox: boolean
  settings: SettingsJson
  number_ids: number[]
  numbers_count: number
  account_id: string | null
  instance_url: string | null
  created_at: number
  connected_at: number | null
  health: {
    last_success_at: number | null
    last_error_at: number | null
    last_error: string | null
    unhealthy_since: number | null
    pending: number
    failed: number
  }
}

const unix = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null)

/** Row → wire JSON. Tokens never leave the row. */
export function toIntegrationJson(
  row: IntegrationRow,
  numberIds: number[],
  counts: LedgerCounts,
  links: Links,
): IntegrationResource {
  return {
    id: row.id,
    direct_link: links.to(`/v1/integrations/${row.id}`),
    kind: row.kind,
    name: row.name,
    custom_name: row.name,
    service_name: catalogue.find((c) => c.kind === row.kind)?.name ?? row.kind,
    status: row.status,
    active: row.active,
    sandbox: row.sandbox,
    settings: toSettingsJson(integrationSettings(row)),
    number_ids: numberIds,
    numbers_count: numberIds.length,
    account_id: row.accountId,
    instance_url: row.instanceUrl,
    created_at: unix(row.createdAt) ?? 0,
    connected_at: unix(row.connectedAt),
    health: {
      last_success_at: unix(row.lastSuccessAt),
      last_error_at: unix(row.lastErrorAt),
      last_error: row.lastError,
      unhealthy_since: unix(row.unhealthySince),
      pending: counts.pending,
      failed: counts.failed,
    },
  }
}
