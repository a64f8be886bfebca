import { callbackDoneBodySchema } from '@switchboard/shared'
import { callbackDone } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(callbackDoneBodySchema, callbackDone, { extensionPagesOnly: true })
