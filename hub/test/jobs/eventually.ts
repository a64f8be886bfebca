import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Polls until the check passes (it throws until then) or the timeout runs out, then rethrows
 * the last failure. For background work (jobs, deliveries) that completes on its own; business
 * timeouts are driven with the FakeClock instead. `between` runs after every failed check
 * (e.g. to advance a fake clock).
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; between?: () => void } | number = {},
): Promise<T> {
  const { timeoutMs = 10_000, between } = typeof options === 'number' ? { timeoutMs: options } : options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      between?.()
      await sleep(15)
    }
  }
}
