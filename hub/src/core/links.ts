/**
 * Absolute links the API returns (`direct_link`, `download_link`, pagination). The HTTP edge
 * builds one per request from PUBLIC_URL or the request's origin and hands it to services in
 * their context, so no service reads a request or threads a base URL around. Links that are
 * mailed are never built from a request's Host header (see the mail senders).
 */
export type Links = {
  /** Origin, plus PUBLIC_URL's path prefix, without a trailing slash. */
  readonly base: string
  /** `base` + an absolute path (`/v1/…`). */
  to(path: string): string
  user(id: number): string
  team(id: number): string
  contact(id: number): string
  number(id: number): string
  tag(id: number): string
  blacklistEntry(id: number): string
  webhook(publicId: string): string
  invoice(id: number): string
  invoicePdf(id: number): string
  verificationDocument(numberId: number, documentId: number): string
}

export function createLinks(base: string): Links {
  const root = base.replace(/\/+$/, '')
  const to = (path: string) => `${root}${path}`
  return {
    base: root,
    to,
    user: (id) => to(`/v1/users/${id}`),
    team: (id) => to(`/v1/teams/${id}`),
    contact: (id) => to(`/v1/contacts/${id}`),
    number: (id) => to(`/v1/numbers/${id}`),
    tag: (id) => to(`/v1/tags/${id}`),
    blacklistEntry: (id) => to(`/v1/blacklist/${id}`),
    webhook: (publicId) => to(`/v1/webhooks/${publicId}`),
    invoice: (id) => to(`/v1/invoices/${id}`),
    invoicePdf: (id) => to(`/v1/invoices/${id}/pdf`),
    verificationDocument: (numberId, documentId) =>
      to(`/v1/numbers/${numberId}/verification/documents/${documentId}`),
  }
}
