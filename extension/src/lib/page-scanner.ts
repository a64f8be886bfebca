/** A phone number found in a text node: UTF-16 offsets (end exclusive) and its E.164 form. */
export type PhoneMatch = { start: number; end: number; e164: string }

/**
 * Finds phone numbers in a page without touching its DOM: matches are kept per text node
 * (a WeakMap, so nodes the page removes are forgotten), never wrapped in elements.
 *
 * - First pass when the page is idle (`requestIdleCallback`), in slices that stop when the
 *   idle period runs out, so a large CRM page never blocks a frame.
 * - Then one MutationObserver queues added nodes and edited text; the queue drains in the
 *   same idle slices, so bursts of mutations are scanned in batches.
 * - Skipped: scripts, styles, code, form fields, editors (`contenteditable`), and our own
 *   overlay. Open shadow roots are scanned and observed like the document.
 * - The page only does the cheap part (walking the DOM, counting digits): texts with enough
 *   digits go to `detect` (the background, where libphonenumber lives) in one batch per slice,
 *   and their matches are applied when the answer comes, if the text has not changed since.
 *
 * Each slice is recorded as a `switchboard:scan` User Timing measure, which the benchmark and
 * DevTools read.
 */
const SKIPPED_TAGS = new Set([
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEXTAREA',
  'INPUT',
  'SELECT',
  'OPTION',
  'CODE',
  'PRE',
  'SVG',
  'TEMPLATE',
])
const MIN_DIGITS = 7
/** Texts longer than this are not phone fields; the detector gets at most this much of one. */
const MAX_TEXT = 20_000
const BATCH = 400
/**
 * An idle period may last 50 ms; a slice stops after 8 ms anyway, so input that arrives while we
 * scan waits at most that long (a frame is 16 ms).
 */
const SLICE_MS = 8
const CACHE = 2000

export type ScannerOptions = {
  /** Our own overlay's host: never scanned. */
  ignore: (el: Element) => boolean
  /** The matches of each text, in order (the background's detector). */
  detect: (texts: string[]) => Promise<PhoneMatch[][] | null>
  onChange?: () => void
}

function skippedElement(el: Element, ignore: (el: Element) => boolean): boolean {
  if (SKIPPED_TAGS.has(el.tagName.toUpperCase())) return true
  if ((el as HTMLElement).isContentEditable) return true
  return ignore(el)
}

function hasEnoughDigits(value: string): boolean {
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 48 && c <= 57 && ++n >= MIN_DIGITS) return true
  }
  return false
}

export function createPageScanner(root: Document, options: ScannerOptions) {
  const matches = new WeakMap<Text, PhoneMatch[]>()
  const queue = new Set<Node>()
  let observed = new WeakSet<Node>()
  // Pages repeat texts (the same number in a list, a re-rendered row): one detection per text.
  const known = new Map<string, PhoneMatch[]>()
  let batch: { node: Text; value: string }[] = []
  let inFlight = 0
  let count = 0
  let scheduled = false
  let stopped = false
  let firstPassDone = false
  const startedAt = performance.now()
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'characterData') queue.add(record.target)
      for (const node of record.addedNodes) queue.add(node)
    }
    schedule()
  })

  function observe(target: Node) {
    if (observed.has(target)) return
    observed.add(target)
    observer.observe(target, { childList: true, subtree: true, characterData: true })
  }

  function schedule() {
    if (scheduled || stopped || queue.size === 0) return
    scheduled = true
    const idle =
      globalThis.requestIdleCallback ??
      ((cb: IdleRequestCallback) => setTimeout(() => cb({ didTimeout: true, timeRemaining: () => 8 }), 50))
    idle(drain, { timeout: 1000 })
  }

  function setMatches(text: Text, found: PhoneMatch[]) {
    const before = matches.get(text)?.length ?? 0
    count += found.length - before
    if (found.length) matches.set(text, found)
    else matches.delete(text)
  }

  function scanText(text: Text) {
    const value = text.data
    if (!hasEnoughDigits(value)) {
      if (matches.has(text)) setMatches(text, [])
      return
    }
    const parent = text.parentElement
    if (parent && (skippedElement(parent, options.ignore) || parent.closest('[contenteditable]'))) return
    const cached = known.get(value)
    if (cached) setMatches(text, cached)
    else batch.push({ node: text, value })
  }

  function flush() {
    if (batch.length === 0) return
    const sent = batch
    batch = []
    inFlight++
    void options
      .detect(sent.map((b) => b.value.slice(0, MAX_TEXT)))
      .catch(() => null)
      .then((results) => {
        inFlight--
        if (stopped) return
        const before = count
        sent.forEach((item, i) => {
          const found = results?.[i]
          if (!found) return
          if (known.size >= CACHE) known.clear()
          known.set(item.value, found)
          // The page may have changed the text while we waited: then the mutation rescans it.
          if (item.node.isConnected && item.node.data === item.value) setMatches(item.node, found)
        })
        if (count !== before) options.onChange?.()
        finishFirstPass()
      })
  }

  function finishFirstPass() {
    if (firstPassDone || queue.size > 0 || inFlight > 0 || batch.length > 0) return
    firstPassDone = true
    performance.measure('switchboard:first-pass', { start: startedAt, end: performance.now() })
  }

  /** Queues `n` and everything after it (in document order) under `top`. */
  function requeueFrom(n: Node, top: Node) {
    queue.add(n)
    for (let cur: Node | null = n; cur && cur !== top; cur = cur.parentNode) {
      for (let s = cur.nextSibling; s; s = s.nextSibling) queue.add(s)
    }
  }

  /** Scans one queued node and what is under it, up to the deadline; returns false when out of time. */
  function scanNode(node: Node, timeLeft: () => number): boolean {
    if (!node.isConnected) return true
    if (node.nodeType === Node.TEXT_NODE) {
      scanText(node as Text)
      return true
    }
    if (
      node.nodeType !== Node.ELEMENT_NODE &&
      node.nodeType !== Node.DOCUMENT_NODE &&
      node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE
    )
      return true
    if (node.nodeType === Node.ELEMENT_NODE && skippedElement(node as Element, options.ignore)) return true
    const walker = root.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode: (n) =>
        n.nodeType === Node.ELEMENT_NODE && skippedElement(n as Element, options.ignore)
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT,
    })
    let n: Node | null = walker.currentNode
    let visited = 0
    while (n) {
      if (n.nodeType === Node.TEXT_NODE) scanText(n as Text)
      else if ((n as Element).shadowRoot) {
        const shadow = (n as Element).shadowRoot as ShadowRoot
        observe(shadow)
        queue.add(shadow)
      }
      n = walker.nextNode()
      // Checking the clock every 100 nodes keeps its cost negligible.
      if (++visited % 100 === 0 && n && (timeLeft() <= 1 || batch.length >= BATCH)) {
        // Not done: what is left of this subtree goes back in the queue.
        requeueFrom(n, node)
        return false
      }
    }
    return true
  }

  function drain(deadline: IdleDeadline) {
    scheduled = false
    if (stopped) return
    const start = performance.now()
    const timeLeft = () => Math.min(deadline.timeRemaining(), start + SLICE_MS - performance.now())
    const before = count
    for (const node of queue) {
      queue.delete(node)
      if (!scanNode(node, timeLeft) || timeLeft() <= 1 || batch.length >= BATCH) break
    }
    flush()
    performance.measure('switchboard:scan', { start, end: performance.now() })
    if (count !== before) options.onChange?.()
    finishFirstPass()
    schedule()
  }

  return {
    start() {
      stopped = false
      observed = new WeakSet()
      observe(root.documentElement)
      queue.add(root.body ?? root.documentElement)
      schedule()
    },
    stop() {
      stopped = true
      observer.disconnect()
      queue.clear()
    },
    /** The matches of a text node, as last scanned. */
    matchesOf: (text: Text) => matches.get(text),
    get count() {
      return count
    },
  }
}
