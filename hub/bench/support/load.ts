import autocannon from 'autocannon'

export type LoadResult = {
  requestsPerSec: number
  p50Ms: number
  p99Ms: number
  /** Network errors, timeouts and non-2xx answers. */
  errors: number
  total: number
}

type RequestSpec = { method: 'GET' | 'POST'; path: string; body?: string }

/**
 * autocannon against one URL: `connections` keep-alive connections for `durationSec`, each
 * request built by `next(i)`. Runs in this process (the same 2 cores as the hub).
 */
export async function load(options: {
  url: string
  auth: string
  connections: number
  durationSec: number
  next: (i: number) => RequestSpec
  overallRate?: number
}): Promise<LoadResult> {
  let i = 0
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    overallRate: options.overallRate,
    timeout: 10,
    headers: { authorization: options.auth, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          const spec = options.next(i++)
          return { ...req, method: spec.method, path: spec.path, body: spec.body }
        },
      },
    ],
  })
  return {
    requestsPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  }
}
