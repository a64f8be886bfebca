import { sendToBackground } from '@plasmohq/messaging'
import type {
  CallActionBody,
  DialBody,
  OkResult,
  SignInBody,
  SignInResult,
  TagsResult,
} from '@switchboard/shared'

/** The background's message handlers (background/messages/<name>.ts), their bodies and answers. */
type Messages = {
  'sign-in': { body: SignInBody; result: SignInResult }
  'sign-out': { body: Record<string, never>; result: OkResult }
  dial: { body: DialBody; result: OkResult }
  'call-action': { body: CallActionBody; result: OkResult }
  tags: { body: Record<string, never>; result: TagsResult }
}

export function send<N extends keyof Messages>(
  name: N,
  body: Messages[N]['body'],
): Promise<Messages[N]['result']> {
  // @plasmohq/messaging types `name` from a declaration its build generates (.plasmo/), which
  // the repository's typecheck does not see; the names above are the handlers' file names.
  return sendToBackground({ name: name as never, body })
}
