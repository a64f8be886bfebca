/**
 * Shares one run of `run` among the callers that arrive while it is in flight (a token refresh
 * asked for by several concurrent requests is sent once); the next call after it settles runs
 * it again.
 */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null
  return () => {
    inFlight ??= run().finally(() => {
      inFlight = null
    })
    return inFlight
  }
}
