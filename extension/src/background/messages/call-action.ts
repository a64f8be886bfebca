import { callActionBodySchema } from '@switchboard/shared'
import { callAction } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(callActionBodySchema, callAction, { extensionPagesOnly: true })
