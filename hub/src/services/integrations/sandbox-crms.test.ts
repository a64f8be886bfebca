import { connectorFor } from '@switchboard/connectors'
import { afterAll, describe, expect, it } from 'vitest'
import { parseEnv } from '../../env.ts'
import { crmEndpoints, oauthApp } from './connections.ts'
import { sandboxCrm, stopSandboxCrms } from './sandbox-crms.ts'

afterAll(() => stopSandboxCrms())

/**
 * A sandbox integration's consent goes through: the built-in sandbox CRM accepts the OAuth app
 * the hub presents for sandbox connections, so a granted code exchanges for tokens.
 */
describe('sandbox CRMs', () => {
  const env = parseEnv({ DATA_DIR: '/tmp/unused', PUBLIC_URL: 'http://127.0.0.1:3000' })
  for (const kind of ['hubspot', 'salesforce', 'zendesk'] as const) {
    it(`${kind}: a granted code exchanges for tokens with the hub's sandbox app`, async () => {
      const fake = await sandboxCrm(kind)
      fake.grantCode(`code-${kind}`)
      const app = oauthApp(env, kind, true)!
      const endpoints = await crmEndpoints(env, { kind, sandbox: true, instanceUrl: fake.url })
      const tokens = await connectorFor(kind).exchangeCode(app, `code-${kind}`, endpoints)
      expect(tokens.accessToken).toEqual(expect.any(String))
      expect(tokens.refreshToken).toEqual(expect.any(String))
    })
  }
})
