import type { PlasmoCSConfig } from 'plasmo'
import { t } from '../lib/i18n.ts'
import { send } from '../lib/messages.ts'
import { createPageScanner } from '../lib/page-scanner.ts'

export const config: PlasmoCSConfig = {
  matches: ['http://*/*', 'https://*/*'],
  all_frames: true,
  run_at: 'document_idle',
}

/**
 * Click-to-call on any page: numbers found by the scanner get one floating "Call" button when
 * the pointer is over them, rendered in our own shadow root under <html> (the page's DOM and
 * styles stay as they are); `tel:` and `callto:` links call through the hub when clicked.
 */

// National numbers read in the browser's region (fr-FR → FR); international ones as written.
const defaultCountry = (navigator.language.split('-')[1] ?? 'US').toUpperCase()

const host = document.createElement('switchboard-c2d')
const shadow = host.attachShadow({ mode: 'open' })
shadow.innerHTML = `<style>
  :host { all: initial; }
  button { position: fixed; z-index: 2147483647; display: none; font: 600 12px/1 system-ui, sans-serif;
    padding: 4px 8px; border: 0; border-radius: 12px; background: #0b6e4f; color: #fff; cursor: pointer;
    box-shadow: 0 1px 4px rgba(0,0,0,.3); }
  button:focus-visible { outline: 2px solid #000; }
</style><button type="button" part="call"></button>`
const button = shadow.querySelector('button')!
document.documentElement.append(host)

const scanner = createPageScanner(document, {
  defaultCountry,
  ignore: (el) => el === host,
  // Observable by the page's tests and by support: how many numbers the extension found.
  onChange: () => host.setAttribute('data-numbers', String(scanner.count)),
})
scanner.start()

let shown: { e164: string; hideTimer?: ReturnType<typeof setTimeout> } | null = null

function dial(to: string) {
  void send('dial', { to })
}

function show(e164: string, rect: DOMRect) {
  clearTimeout(shown?.hideTimer)
  shown = { e164 }
  button.textContent = `${t('appName')} · ${e164}`
  button.setAttribute('aria-label', `Call ${e164}`)
  button.dataset.number = e164
  button.style.display = 'block'
  // Just above the number, not over it: the number stays readable and selectable.
  button.style.left = `${Math.max(0, rect.left)}px`
  button.style.top = `${Math.max(0, rect.top - 26)}px`
}

function scheduleHide() {
  if (!shown || shown.hideTimer) return
  shown.hideTimer = setTimeout(() => {
    button.style.display = 'none'
    shown = null
  }, 1500)
}

/** The match under the pointer, if any: the hovered element's own text nodes, hit-tested by range. */
function matchAt(target: EventTarget | undefined, x: number, y: number) {
  if (!(target instanceof Element)) return null
  for (const child of target.childNodes) {
    if (child.nodeType !== Node.TEXT_NODE) continue
    for (const match of scanner.matchesOf(child as Text) ?? []) {
      const range = document.createRange()
      range.setStart(child, match.start)
      range.setEnd(child, match.end)
      for (const rect of range.getClientRects()) {
        if (x >= rect.left - 2 && x <= rect.right + 2 && y >= rect.top - 2 && y <= rect.bottom + 2)
          return { e164: match.e164, rect }
      }
    }
  }
  return null
}

function onPointer(event: PointerEvent) {
  const path = event.composedPath()
  if (path.includes(host)) {
    clearTimeout(shown?.hideTimer)
    if (shown) shown.hideTimer = undefined
    return
  }
  const hit = matchAt(path[0], event.clientX, event.clientY)
  if (hit) show(hit.e164, hit.rect)
  else scheduleHide()
}

// Throttled to one hit test per 50 ms, the last move always handled (a timer, not
// requestAnimationFrame, which a background tab never runs).
let lastRun = 0
let trailing: ReturnType<typeof setTimeout> | undefined
document.addEventListener(
  'pointermove',
  (event) => {
    clearTimeout(trailing)
    const wait = lastRun + 50 - performance.now()
    if (wait <= 0) {
      lastRun = performance.now()
      onPointer(event)
    } else {
      trailing = setTimeout(() => {
        lastRun = performance.now()
        onPointer(event)
      }, wait)
    }
  },
  { passive: true, capture: true },
)

button.addEventListener('click', (event) => {
  event.preventDefault()
  event.stopPropagation()
  if (shown) dial(shown.e164)
  button.style.display = 'none'
  shown = null
})

// tel: and callto: links call through the hub instead of the OS's handler.
document.addEventListener(
  'click',
  (event) => {
    const link = event
      .composedPath()
      .find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement && /^(tel|callto):/i.test(n.href))
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
    const to = decodeURIComponent(link.href.replace(/^(tel|callto):(\/\/)?/i, ''))
      .split(/[;?]/)[0]!
      .trim()
    if (to.replace(/\D/g, '').length < 3) return
    event.preventDefault()
    event.stopPropagation()
    dial(to)
  },
  { capture: true },
)
