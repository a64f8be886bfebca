import type { PlasmoMessaging } from '@plasmohq/messaging'
import type { Failure } from '@switchboard/shared'
import type { z } from 'zod'

/**
 * A message handler whose body is parsed with `schema` before `run` sees it: messages cross a
 * trust boundary (a content script lives in pages the extension does not control). Handlers
 * with `extensionPagesOnly` refuse senders other than the extension's own pages (options,
 * side panel), so no content script can sign the agent out or act on their calls.
 */
export function createHandler<S extends z.ZodType, R>(
  schema: S,
  run: (body: z.infer<S>) => Promise<R>,
  options: { extensionPagesOnly?: boolean } = {},
): PlasmoMessaging.MessageHandler<unknown, R | Failure> {
  return async (req, res) => {
    if (options.extensionPagesOnly && !isExtensionPage(req.sender)) {
      res.send({ ok: false, code: 'bad_request', message: 'Not allowed from a web page' })
      return
    }
    const parsed = schema.safeParse(req.body ?? {})
    if (!parsed.success) {
      res.send({ ok: false, code: 'bad_request', message: parsed.error.issues[0]?.message ?? 'Bad request' })
      return
    }
    try {
      res.send(await run(parsed.data))
    } catch {
      res.send({ ok: false, code: 'hub_error', message: 'Something went wrong in the extension' })
    }
  }
}

function isExtensionPage(sender: chrome.runtime.MessageSender | undefined): boolean {
  if (!sender?.url || sender.tab?.url?.startsWith('http')) return false
  return new URL(sender.url).origin === new URL(chrome.runtime.getURL('/')).origin
}
