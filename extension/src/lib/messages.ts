import { sendToBackground } from '@plasmohq/messaging'
import type {
  CallActionBody,
  CallbackTasksResult,
  DetectBody,
  DetectResult,
  DialBody,
  DirectoryResult,
  LinesResult,
  OkResult,
  SignInBody,
  SignInResult,
  TagsResult,
} from '@switchboard/shared'

type Empty = Record<string, never>

/** The background's message handlers (background/messages/<name>.ts), their bodies and answers. */
type Messages = {
  'sign-in': { body: SignInBody; result: SignInResult }
  'sign-out': { body: Empty; result: OkResult }
  dial: { body: DialBody; result: OkResult }
  detect: { body: DetectBody; result: DetectResult }
  lines: { body: Empty; result: LinesResult }
  'call-action': { body: CallActionBody; result: OkResult }
  tags: { body: Empty; result: TagsResult }
  directory: { body: Empty; result: DirectoryResult }
  'callback-tasks': { body: Empty; result: CallbackTasksResult }
  'callback-done': { body: { id: number }; result: OkResult }
}

export function send<N extends keyof Messages>(
  name: N,
  body: Messages[N]['body'],
): Promise<Messages[N]['result']> {
  // @plasmohq/messaging types `name` from a declaration its build generates (.plasmo/), which
  // the repository's typecheck does not see; the names above are the handlers' file names.
  return sendToBackground({ name: name as never, body })
}
