import { createRequire } from 'node:module'

// node-zendesk is CommonJS without named ESM exports; require keeps its types.
const require = createRequire(import.meta.url)
const { createClient } = require('node-zendesk') as typeof import('node-zendesk')

/**
 * A node-zendesk client for one access token. Sub-clients copy their options on first use, so a
 * new token means a new client. `endpointUri` must not end in a slash (`/api/v2//users.json`).
 * `throwOriginalException` keeps `statusCode` and the body on thrown errors.
 */
export function createZendeskClient(instanceUrl: string, accessToken: string) {
  return createClient({
    oauth: true,
    token: accessToken,
    endpointUri: `${instanceUrl.replace(/\/+$/, '')}/api/v2`,
    throwOriginalException: true,
  })
}
export type ZendeskClient = ReturnType<typeof createZendeskClient>
