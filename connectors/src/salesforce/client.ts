import { Connection, OAuth2 } from 'jsforce'

export const SALESFORCE_LOGIN_URL = 'https://login.salesforce.com'
/**
 * Summer '26. Set explicitly: jsforce defaults to 50.0 (Winter '21), and the API version decides
 * field availability and response shapes (sObject Collections need ≥ 42.0).
 */
export const SALESFORCE_API_VERSION = '67.0'

export function createOAuth2(
  app: { clientId: string; clientSecret: string; redirectUri: string },
  loginUrl: string,
) {
  return new OAuth2({
    loginUrl: loginUrl.replace(/\/+$/, ''),
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: app.redirectUri,
  })
}

export { Connection }
