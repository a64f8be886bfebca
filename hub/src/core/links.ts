/**
 * Absolute links the API returns (`direct_link`, pagination). Built once per request from
 * PUBLIC_URL or the request's origin, and handed to services in their context, so no service
 * reads a request. Links that are mailed never come from here when PUBLIC_URL is unset: a
 * request's Host header must not decide where a mailed token goes.
 */
export type Links = {
  /** Origin (and path prefix of PUBLIC_URL) without a trailing slash. */
  readonly base: string
  user(id: number): string
  team(id: number): string
  contact(id: number): string
  number(id: number): string
}

export function createLinks(base: string): Links {
  const root = base.replace(/\/$/, '')
  return {
    base: root,
    user: (id) => `${root}/v1/users/${id}`,
    team: (id) => `${root}/v1/teams/${id}`,
    contact: (id) => `${root}/v1/contacts/${id}`,
    number: (id) => `${root}/v1/numbers/${id}`,
  }
}
