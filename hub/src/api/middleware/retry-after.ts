import type { Context } from 'hono'
import { RetryLaterError } from '../../core/errors.ts'

/** Runs a service call; a refusal that says when to come back answers with `Retry-After`. */
export async function withRetryAfter<T>(c: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    if (err instanceof RetryLaterError) c.header('Retry-After', String(err.retryAfterSeconds))
    throw err
  }
}
