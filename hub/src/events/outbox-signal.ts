/**
 * "An outbox event was committed": wakes the outbox relays of this process at once instead of
 * leaving them to their next poll. Other processes (a web hub's events, relayed by a worker
 * hub) hear it through PostgreSQL's LISTEN/NOTIFY, wired by the server (see relay.ts).
 */
type Listener = () => void

const listeners = new Set<Listener>()
const remotes = new Set<Listener>()

/** Called after the commit of every transaction that recorded an outbox event. */
export function signalOutboxCommitted(): void {
  for (const listener of listeners) listener()
  for (const remote of remotes) remote()
}

/** Subscribes to commits of outbox events in this process; returns the unsubscribe function. */
export function onOutboxCommitted(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Forwards every signal to other processes too (a debounced NOTIFY); returns the removal function. */
export function forwardOutboxSignal(remote: Listener): () => void {
  remotes.add(remote)
  return () => remotes.delete(remote)
}
