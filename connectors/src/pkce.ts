import { createHash, randomBytes } from 'node:crypto'

/**
 * A PKCE pair (RFC 7636, method S256): the hub keeps `codeVerifier` with the OAuth `state` and
 * sends `codeChallenge` in the authorization URL; the token request proves it holds the verifier,
 * so a stolen authorization code is useless. https://datatracker.ietf.org/doc/html/rfc7636
 */
export function createPkcePair(): { codeVerifier: string; codeChallenge: string } {
  // 32 random bytes → 43 base64url characters, the minimum length the RFC allows.
  const codeVerifier = randomBytes(32).toString('base64url')
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier) }
}

export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url')
}
