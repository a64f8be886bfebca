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

/**
 * Loads each key once and keeps the answer for the connection's life (an agent's CRM user id);
 * callers asking while it loads share the load; a failed load is forgotten, so the next asks
 * again.
 */
export function memoByKey<V>(load: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const memo = new Map<string, Promise<V>>()
  return (key) => {
    let p = memo.get(key)
    if (!p) {
      p = load(key)
      memo.set(key, p)
      p.catch(() => memo.delete(key))
    }
    return p
  }
}
