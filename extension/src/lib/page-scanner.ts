import { findPhoneNumbers, type PhoneMatch } from '@switchboard/shared/phone-detect'

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
const DIGITS = /\d/g

export type ScannerOptions = {
  defaultCountry: string
  /** Our own overlay's host: never scanned. */
  ignore: (el: Element) => boolean
  onChange?: () => void
}

function skippedElement(el: Element, ignore: (el: Element) => boolean): boolean {
  if (SKIPPED_TAGS.has(el.tagName.toUpperCase())) return true
  if (el instanceof HTMLElement && el.isContentEditable) return true
  return ignore(el)
}

export function createPageScanner(root: Document, options: ScannerOptions) {
  const matches = new WeakMap<Text, PhoneMatch[]>()
  const queue = new Set<Node>()
  const observed = new WeakSet<Node>()
  let count = 0
  let scheduled = false
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
    if (scheduled || queue.size === 0) return
    scheduled = true
    const idle =
      globalThis.requestIdleCallback ??
      ((cb: IdleRequestCallback) => setTimeout(() => cb({ didTimeout: true, timeRemaining: () => 8 }), 50))
    idle(drain, { timeout: 1000 })
  }

  function scanText(text: Text) {
    const value = text.data
    const digits = value.match(DIGITS)
    const before = matches.get(text)?.length ?? 0
    if (!digits || digits.length < MIN_DIGITS) {
      if (before) {
        matches.delete(text)
        count -= before
      }
      return
    }
    const parent = text.parentElement
    if (parent && (skippedElement(parent, options.ignore) || parent.closest('[contenteditable]'))) return
    const found = findPhoneNumbers(value, options.defaultCountry)
    count += found.length - before
    if (found.length) matches.set(text, found)
    else matches.delete(text)
  }

  /** Queues `n` and everything after it (in document order) under `top`. */
  function requeueFrom(n: Node, top: Node) {
    queue.add(n)
    for (let cur: Node | null = n; cur && cur !== top; cur = cur.parentNode) {
      for (let s = cur.nextSibling; s; s = s.nextSibling) queue.add(s)
    }
  }

  /** Scans one queued node and what is under it, up to the deadline; returns false when out of time. */
  function scanNode(node: Node, deadline: IdleDeadline): boolean {
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
    if (node instanceof Element && skippedElement(node, options.ignore)) return true
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
      else if (n instanceof Element && n.shadowRoot) {
        observe(n.shadowRoot)
        queue.add(n.shadowRoot)
      }
      n = walker.nextNode()
      // Checking the clock every 200 nodes keeps its cost negligible.
      if (++visited % 200 === 0 && n && deadline.timeRemaining() <= 1) {
        // Not done: what is left of this subtree goes back in the queue.
        requeueFrom(n, node)
        return false
      }
    }
    return true
  }

  function drain(deadline: IdleDeadline) {
    scheduled = false
    const before = count
    for (const node of queue) {
      queue.delete(node)
      if (!scanNode(node, deadline) || deadline.timeRemaining() <= 1) break
    }
    if (count !== before) options.onChange?.()
    schedule()
  }

  return {
    start() {
      observe(root.documentElement)
      queue.add(root.body ?? root.documentElement)
      schedule()
    },
    stop() {
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
