import type { ConnectorDefinition, ConnectorSlug } from './contract.ts'
import { dynamicsDefinition } from './dynamics/connector.ts'
import { hubspotDefinition } from './hubspot/connector.ts'
import { salesforceDefinition } from './salesforce/connector.ts'
import { zendeskDefinition } from './zendesk/connector.ts'

/** Every CRM the hub can connect, by slug. */
export const connectorRegistry = {
  hubspot: hubspotDefinition,
  salesforce: salesforceDefinition,
  zendesk: zendeskDefinition,
  dynamics: dynamicsDefinition,
} as const satisfies Record<ConnectorSlug, ConnectorDefinition>

export function connectorFor(slug: ConnectorSlug): ConnectorDefinition {
  return connectorRegistry[slug]
}
