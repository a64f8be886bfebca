import { dialBodySchema } from '@switchboard/shared'
import { dial } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(dialBodySchema, dial)
