import { availableParallelism } from 'node:os'
import { RetryLaterError } from '../../core/errors.ts'
import { createFairGate, type FairGate, GateFullError, type GateLimits } from '../../core/fair-gate.ts'

/**
 * argon2id takes ~19 MiB and tens of milliseconds of a core per password. Verifications and
 * hashes run through this gate: one core is left to the event loop (so /healthz and every
 * other request keep answering), each client address gets a small fair share, and a short
 * waiting room bounds how long an admitted request waits.
 */
export const PASSWORD_GATE_LIMITS: GateLimits = {
  concurrency: Math.max(1, Math.min(4, availableParallelism() - 1)),
  perClient: 4,
  maxWaiting: 32,
}

const perApp = new WeakMap<object, FairGate>()
/** One gate per app instance (keyed by its deps object): the work it bounds is this process's. */
export function passwordGateFor(owner: object): FairGate {
  let gate = perApp.get(owner)
  if (!gate) {
    gate = createFairGate(PASSWORD_GATE_LIMITS)
    perApp.set(owner, gate)
  }
  return gate
}

/**
 * Runs password work (argon2 hashing or verification) for `client` through the app's gate;
 * a full gate answers 429 (this client's share is taken) or 503 (the hub's), with Retry-After.
 */
export async function withPasswordWork<T>(owner: object, client: string, task: () => Promise<T>) {
  try {
    return await passwordGateFor(owner).run(client, task)
  } catch (err) {
    if (!(err instanceof GateFullError)) throw err
    throw err.scope === 'client'
      ? new RetryLaterError(
          'rate_limited',
          'Too many password checks from your address at once; retry in a moment',
          1,
        )
      : new RetryLaterError('unavailable', 'The hub is busy checking passwords; retry in a moment', 1)
  }
}
