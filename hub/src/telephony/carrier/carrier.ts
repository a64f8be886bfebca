/**
 * What the hub needs of a phone carrier to own numbers. The sandbox carrier implements it
 * in-process; the Twilio gateway maps it to AvailablePhoneNumbers / IncomingPhoneNumbers.
 * Calls themselves go through the call engine, not this interface.
 */
export type AvailableNumber = {
  /** E.164, e.g. "+33176111111". */
  e164: string
  country: string
  area: string
}

export type SearchAvailableQuery = {
  /** ISO 3166 alpha-2. */
  country: string
  /** Area code as listed in country-rules.json (e.g. FR "1" = Paris region). */
  area: string
  limit: number
  /**
   * Numbers the caller knows are taken (live in the database). A real carrier already hides
   * its own provisioned numbers; the sandbox, which has no inventory, skips these instead.
   */
  exclude?: ReadonlySet<string>
}

export interface Carrier {
  readonly name: 'sandbox' | 'twilio'
  searchAvailable(query: SearchAvailableQuery): Promise<AvailableNumber[]>
  /** Buys the number for this hub; `carrierRef` is what release() needs later. */
  provision(request: { e164: string }): Promise<{ carrierRef: string }>
  release(request: { carrierRef: string }): Promise<void>
}

/** A carrier refusal or failure; `retry` says whether trying again may succeed. */
export class CarrierError extends Error {
  override name = 'CarrierError'
  constructor(
    message: string,
    readonly retry: boolean,
  ) {
    super(message)
  }
}
