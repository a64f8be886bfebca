import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node'
import { DynamicsWebApi } from 'dynamics-web-api'
import { ConnectorError, codeForStatus, parseRetryAfter } from '../errors.ts'

/** Microsoft Entra's global cloud; tests and sandboxes override it with `authBaseUrl`. */
export const ENTRA_BASE = 'https://login.microsoftonline.com'
/** Work and school accounts of any tenant: the app is multi-tenant unless DYNAMICS_TENANT says. */
export const DEFAULT_TENANT = 'organizations'
export const DATAVERSE_API_VERSION = '9.2'

/**
 * The Web API client for one org. `propagateErrors` makes `update()` throw on 412 (the record is
 * gone: it sends `If-Match: *`) instead of resolving `false`, which would lose the failure.
 * The token comes from the connector on every request; the library has no 429 retry of its own,
 * which suits us: the hub's queue waits for `Retry-After`.
 * https://github.com/AleksandrRogov/DynamicsWebApi#configuration
 */
export function createDataverseApi(serverUrl: string, token: () => Promise<string>, timeoutMs: number) {
  return new DynamicsWebApi({
    serverUrl,
    dataApi: { version: DATAVERSE_API_VERSION },
    onTokenRefresh: token,
    propagateErrors: true,
    timeout: timeoutMs,
  })
}
export type DataverseApi = DynamicsWebApi

/** Where the last Entra call failed, kept because MSAL rewraps the network module's errors. */
export type EntraFailure = { last: ConnectorError | null }

/**
 * MSAL's network seam: plain fetch with a timeout, aimed at `authBaseUrl`'s real origin. MSAL
 * only accepts https authorities, so a loopback fake (http) is named with https in the authority
 * and reached over http here. Throttling and outages become ConnectorErrors before MSAL sees
 * them: MSAL would take a 503 with a non-JSON body for an empty token answer.
 */
function entraNetwork(authBase: URL, timeoutMs: number, failure: EntraFailure): INetworkModule {
  const send = async <T>(method: string, url: string, headers?: Record<string, string>, body?: string) => {
    const target = new URL(url)
    target.protocol = authBase.protocol
    target.host = authBase.host
    let res: Response
    let text: string
    try {
      res = await fetch(target, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) })
      text = await res.text()
    } catch (e) {
      failure.last = new ConnectorError('unavailable', `Microsoft Entra unreachable: ${String(e)}`, {
        cause: e,
      })
      throw failure.last
    }
    if (res.status === 429 || res.status >= 500) {
      failure.last = new ConnectorError(codeForStatus(res.status), `Microsoft Entra answered ${res.status}`, {
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
      })
      throw failure.last
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      failure.last = new ConnectorError(
        'unavailable',
        `Microsoft Entra answered ${res.status} without JSON`,
        {
          status: res.status,
          cause: e,
        },
      )
      throw failure.last
    }
    const out: NetworkResponse<T> = {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      // Safe: MSAL validates the token response itself.
      body: json as T,
    }
    return out
  }
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options?.headers),
    sendPostRequestAsync: (url, options) => send('POST', url, options?.headers, options?.body),
  }
}

/**
 * An MSAL confidential client for one token operation. The authority's metadata is given, not
 * discovered: the endpoints of Entra's v2 authority are fixed, and discovery would cost two
 * requests per refresh (each connection gets a fresh client, so nothing is cached between them).
 * https://learn.microsoft.com/en-us/entra/identity-platform/msal-client-application-configuration
 */
export function createEntraClient(
  app: { clientId: string; clientSecret: string },
  opts: { authBaseUrl: string; tenant: string; timeoutMs: number; failure: EntraFailure },
) {
  const real = new URL(opts.authBaseUrl.replace(/\/+$/, ''))
  const base = `https://${real.host}`
  const authority = `${base}/${opts.tenant}`
  const authorityMetadata = JSON.stringify({
    token_endpoint: `${authority}/oauth2/v2.0/token`,
    authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
    issuer: `${base}/{tenantid}/v2.0`,
    jwks_uri: `${authority}/discovery/v2.0/keys`,
  })
  const cloudDiscoveryMetadata = JSON.stringify({
    tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: real.host, preferred_cache: real.host, aliases: [real.host] }],
  })
  return new ConfidentialClientApplication({
    auth: {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      authority,
      knownAuthorities: [real.host],
      authorityMetadata,
      cloudDiscoveryMetadata,
    },
    system: { networkClient: entraNetwork(real, opts.timeoutMs, opts.failure) },
  })
}

/** The authorize endpoint a person is sent to (built by hand: MSAL's builder is async). */
export function entraAuthorizeEndpoint(authBaseUrl: string, tenant: string): string {
  return `${authBaseUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/authorize`
}

/**
 * MSAL keeps refresh tokens in its cache and leaves them out of its results; the hub stores
 * them itself (a connection outlives any process), so they are read back from the cache.
 */
export function refreshTokenOf(client: ConfidentialClientApplication): string | null {
  const cache = JSON.parse(client.getTokenCache().serialize()) as {
    RefreshToken?: Record<string, { secret?: string }>
  }
  const entries = Object.values(cache.RefreshToken ?? {})
  return entries.at(-1)?.secret ?? null
}
