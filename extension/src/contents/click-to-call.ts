import type { PlasmoCSConfig } from 'plasmo'
import { t } from '../lib/i18n.ts'
import { send } from '../lib/messages.ts'
import { createPageScanner } from '../lib/page-scanner.ts'
import { siteEnabled, siteListsOf } from '../lib/sites.ts'

export const config: PlasmoCSConfig = {
  matches: ['http://*/*', 'https://*/*'],
  // Salesforce and Dynamics show records in same-origin frames: each frame scans itself.
  all_frames: true,
  run_at: 'document_idle',
}

/**
 * Click-to-call on the agent's CRM pages (and the sites they allowed): numbers found by the
 * scanner get one floating "Call" button when the pointer is over them, rendered in our own
 * shadow root under <html> (the page's DOM and styles stay as they are); `tel:` and `callto:`
 * links call through the hub when clicked. When the agent has several lines, a picker asks which
 * one to call from. Kept free of zod, React and libphonenumber (the background detects numbers),
 * because it loads in every frame of every page.
 */

// Same key as SITE_SETTINGS_KEY in shared (not imported: shared's index would pull zod in).
const SITES_KEY = 'switchboard.sites'
// National numbers read in the browser's region (fr-FR → FR); international ones as written.
const defaultCountry = (navigator.language.split('-')[1] ?? 'US').toUpperCase()

const STYLE = `
:host { all: initial; }
.chip, .menu { position: fixed; z-index: 2147483647; font: 500 12px/1.2 system-ui, -apple-system, "Segoe UI", sans-serif; }
.chip { display: none; align-items: center; gap: 6px; padding: 5px 10px 5px 8px; border: 0; border-radius: 999px;
  background: #1f6f5c; color: #fff; cursor: pointer; box-shadow: 0 2px 8px rgba(15, 40, 35, .28); white-space: nowrap; }
.chip:hover { background: #185a4a; }
.chip:focus-visible, .menu button:focus-visible { outline: 2px solid #0b57d0; outline-offset: 2px; }
.chip svg { width: 12px; height: 12px; fill: currentColor; }
.chip.error { background: #b3261e; }
.menu { display: none; min-width: 200px; padding: 6px; border-radius: 10px; background: #fff; color: #1c2b33;
  border: 1px solid #d5dde3; box-shadow: 0 8px 24px rgba(15, 30, 40, .18); }
.menu p { margin: 2px 6px 6px; font-size: 11px; color: #5b6b75; text-transform: uppercase; letter-spacing: .04em; }
.menu button { display: flex; width: 100%; justify-content: space-between; gap: 12px; padding: 7px 8px; border: 0;
  border-radius: 6px; background: none; color: inherit; font: inherit; text-align: left; cursor: pointer; }
.menu button:hover { background: #eef4f2; }
.menu span { color: #5b6b75; font-variant-numeric: tabular-nums; }
`
const PHONE_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z"/></svg>'

let host: HTMLElement | null = null

function start() {
  if (host) return
  const el = document.createElement('switchboard-c2d')
  host = el
  const shadow = el.attachShadow({ mode: 'open' })
  shadow.innerHTML = `<style>${STYLE}</style><button type="button" class="chip" part="call"></button><div class="menu" role="menu"></div>`
  const button = shadow.querySelector('button') as HTMLButtonElement
  const menu = shadow.querySelector('.menu') as HTMLDivElement
  document.documentElement.append(el)

  const scanner = createPageScanner(document, {
    ignore: (node) => node === el,
    detect: async (texts) => {
      const result = await send('detect', { country: defaultCountry, texts })
      return result.ok ? result.matches : null
    },
    // Observable by the page's tests and by support: how many numbers the extension found.
    onChange: () => el.setAttribute('data-numbers', String(scanner.count)),
  })
  scanner.start()
  stopScanner = () => {
    scanner.stop()
    el.remove()
    host = null
  }

  let shown: { e164: string; hideTimer?: ReturnType<typeof setTimeout> } | null = null

  function hideAll() {
    button.style.display = 'none'
    menu.style.display = 'none'
    shown = null
  }

  async function dial(to: string, anchor: DOMRect) {
    const lines = await send('lines', {})
    if (lines.ok && lines.numbers.length > 1) {
      openPicker(to, lines.numbers, anchor)
      return
    }
    report(await send('dial', { to }))
  }

  function report(result: { ok: boolean; message?: string }) {
    if (result.ok) {
      hideAll()
      return
    }
    button.classList.add('error')
    button.textContent = result.message ?? 'Error'
    button.style.display = 'inline-flex'
    setTimeout(() => {
      button.classList.remove('error')
      hideAll()
    }, 3000)
  }

  function openPicker(to: string, numbers: { id: number; name: string; digits: string }[], anchor: DOMRect) {
    button.style.display = 'none'
    menu.replaceChildren()
    const title = document.createElement('p')
    title.id = 'sb-pick-title'
    title.textContent = t('callFrom')
    menu.setAttribute('aria-labelledby', title.id)
    menu.append(title)
    for (const n of numbers) {
      const item = document.createElement('button')
      item.type = 'button'
      item.setAttribute('role', 'menuitem')
      item.dataset.numberId = String(n.id)
      item.append(n.name)
      const digits = document.createElement('span')
      digits.textContent = n.digits
      item.append(digits)
      item.addEventListener('click', async (event) => {
        event.stopPropagation()
        menu.style.display = 'none'
        report(await send('dial', { to, number_id: n.id }))
      })
      menu.append(item)
    }
    menu.style.display = 'block'
    menu.style.left = `${Math.max(4, Math.min(anchor.left, innerWidth - 220))}px`
    menu.style.top = `${Math.min(anchor.bottom + 4, innerHeight - 40 * numbers.length - 40)}px`
    ;(menu.querySelector('button') as HTMLButtonElement).focus()
  }

  menu.addEventListener('keydown', (event) => {
    const items = [...menu.querySelectorAll('button')]
    const at = items.indexOf(shadow.activeElement as HTMLButtonElement)
    if (event.key === 'Escape') hideAll()
    else if (event.key === 'ArrowDown') items[(at + 1) % items.length]?.focus()
    else if (event.key === 'ArrowUp') items[(at - 1 + items.length) % items.length]?.focus()
    else return
    event.preventDefault()
  })

  function show(e164: string, rect: DOMRect) {
    if (menu.style.display === 'block') return
    clearTimeout(shown?.hideTimer)
    shown = { e164 }
    button.innerHTML = PHONE_ICON
    button.append(`${t('call')} ${e164}`)
    button.setAttribute('aria-label', `${t('call')} ${e164}`)
    button.dataset.number = e164
    button.style.display = 'inline-flex'
    // Just above the number, not over it: the number stays readable and selectable.
    button.style.left = `${Math.max(0, rect.left)}px`
    button.style.top = `${Math.max(0, rect.top - 28)}px`
  }

  function scheduleHide() {
    if (!shown || shown.hideTimer || button.classList.contains('error')) return
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
    if (path.includes(el)) {
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
  const onMove = (event: PointerEvent) => {
    clearTimeout(trailing)
    const wait = lastRun + 50 - performance.now()
    const run = () => {
      lastRun = performance.now()
      onPointer(event)
    }
    if (wait <= 0) run()
    else trailing = setTimeout(run, wait)
  }
  document.addEventListener('pointermove', onMove, { passive: true, capture: true })

  button.addEventListener('click', (event) => {
    event.preventDefault()
    event.stopPropagation()
    if (shown) void dial(shown.e164, button.getBoundingClientRect())
  })

  // tel: and callto: links call through the hub instead of the OS's handler.
  const onClick = (event: MouseEvent) => {
    if (event.composedPath().includes(el)) return
    if (menu.style.display === 'block') hideAll()
    const link = event
      .composedPath()
      .find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement && /^(tel|callto):/i.test(n.href))
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
    const to = decodeURIComponent(link.href.replace(/^(tel|callto):(\/\/)?/i, ''))
      .split(/[;?]/)[0]
      ?.trim()
    if (!to || to.replace(/\D/g, '').length < 3) return
    event.preventDefault()
    event.stopPropagation()
    void dial(to, link.getBoundingClientRect())
  }
  document.addEventListener('click', onClick, { capture: true })
  const previousStop = stopScanner
  stopScanner = () => {
    previousStop()
    document.removeEventListener('pointermove', onMove, { capture: true })
    document.removeEventListener('click', onClick, { capture: true })
  }
}

let stopScanner = () => {}

function apply(stored: unknown) {
  if (siteEnabled(location.hostname, siteListsOf(stored))) start()
  else if (host) stopScanner()
}

chrome.storage.local.get(SITES_KEY).then((v) => apply(v[SITES_KEY]))
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && SITES_KEY in changes) apply(changes[SITES_KEY]?.newValue)
})
