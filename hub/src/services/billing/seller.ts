import type { InvoiceParty } from '../../db/schema/billing-types.ts'
import { type Env, parseEnv } from '../../env.ts'

/** The seller of this hub's invoices; its country drives VAT (vat.ts) and is always set. */
export type Seller = InvoiceParty & { country: string }

type SellerEnv = Pick<
  Env,
  'INVOICE_SELLER_NAME' | 'INVOICE_SELLER_ADDRESS' | 'INVOICE_SELLER_COUNTRY' | 'INVOICE_SELLER_VAT_NUMBER'
>

/** The name on invoices of a hub whose operator has not set INVOICE_SELLER_NAME. */
export const UNCONFIGURED_SELLER_NAME = 'Switchboard'

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' })

export const isSellerConfigured = (env: SellerEnv) => env.INVOICE_SELLER_NAME !== undefined

/**
 * Who issues the invoices: the operator of this hub, from the INVOICE_SELLER_* settings
 * (checked by env.ts). Printed on every invoice and snapshotted in it, so changing the
 * settings changes the invoices issued afterwards, never the ones already issued.
 *
 * Without INVOICE_SELLER_NAME the invoices carry the bare name "Switchboard": no address and
 * no VAT number, rather than made-up ones (env.ts refuses an address or a VAT number without a
 * name). The country still applies to VAT. Like the customer's, the address ends with the
 * country's name, unless the operator already wrote it as the last line.
 */
export function sellerOf(env: SellerEnv): Seller {
  const { INVOICE_SELLER_NAME: name } = env
  // Without a named seller, French VAT rules (env.ts requires the country once a name is set).
  const country = env.INVOICE_SELLER_COUNTRY ?? 'FR'
  if (name === undefined) return { name: UNCONFIGURED_SELLER_NAME, lines: [], country, vat_number: null }
  const lines = [...(env.INVOICE_SELLER_ADDRESS ?? [])]
  const countryName = regionNames.of(country) ?? country
  const last = lines.at(-1)?.toLowerCase()
  if (lines.length > 0 && last !== countryName.toLowerCase() && last !== country.toLowerCase()) {
    lines.push(countryName)
  }
  return {
    name,
    lines,
    country,
    vat_number: env.INVOICE_SELLER_VAT_NUMBER ?? null,
  }
}

/**
 * The seller of a hub with no INVOICE_SELLER_* setting: what callers that have no env at hand
 * (operator scripts, tests) get. Code that has HubDeps passes `sellerOf(deps.env)`.
 */
export const unconfiguredSeller: Seller = sellerOf(parseEnv({}))

/** The seller as stored in an invoice's snapshot: exactly the printed party, nothing more. */
export const sellerSnapshot = (seller: Seller): InvoiceParty => ({
  name: seller.name,
  lines: [...seller.lines],
  country: seller.country,
  vat_number: seller.vat_number,
})
