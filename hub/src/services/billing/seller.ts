import type { InvoiceParty } from './invoice-types.ts'

/**
 * Who issues the invoices: the operator of this hub. Printed on every invoice and
 * snapshotted in it. Edit to your legal entity before billing real customers; VAT rules
 * (vat.ts) assume the seller is established in SELLER_COUNTRY.
 */
export const SELLER: InvoiceParty = {
  name: 'Switchboard SAS',
  lines: ['10 rue de la Paix', '75002 Paris', 'France'],
  country: 'FR',
  vat_number: 'FR00123456789',
}
