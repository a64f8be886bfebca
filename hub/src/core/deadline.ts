/** A promise that did not settle within its deadline (withDeadline). */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'DeadlineExceeded'
  }
}

/**
 * The promise, or a DeadlineExceeded rejection after `ms` of real time (sockets and servers do
 * not follow a test's fake clock). The loser's rejection is handled here: a promise failing
 * after the deadline is no unhandled error.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms)
    timer.unref()
  })
  promise.catch(() => {})
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
