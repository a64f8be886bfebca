import { detectBodySchema } from '@switchboard/shared'
import { detect } from '../../lib/frames.ts'
import { createHandler } from '../handle.ts'

export default createHandler(detectBodySchema, detect)
