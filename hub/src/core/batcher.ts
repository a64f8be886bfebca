/**
 * Coalesces the calls made while a batch is being gathered (until the event loop has run the
 * work already queued: setImmediate) into one call of `run` with all their inputs; each caller
 * gets its own result. `run` returns one result per input, in order. If it throws, every
 * caller of that batch gets the error. Batches hold at most maxBatch inputs.
 */
export function createBatcher<I, O>(
  run: (inputs: I[]) => Promise<O[]>,
  options: { maxBatch?: number } = {},
): (input: I) => Promise<O> {
  const maxBatch = options.maxBatch ?? 500
  const waiting: { input: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = []
  let scheduled = false

  const flush = () => {
    scheduled = false
    const batch = waiting.splice(0, maxBatch)
    if (waiting.length > 0) schedule()
    run(batch.map((w) => w.input)).then(
      (outputs) => {
        // One output per input, in order (run's contract).
        for (const [i, w] of batch.entries()) w.resolve(outputs[i] as O)
      },
      (err: unknown) => {
        for (const w of batch) w.reject(err)
      },
    )
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }

  return (input) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ input, resolve, reject })
      schedule()
    })
}
