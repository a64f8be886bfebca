import { z } from 'zod'
import { tags } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(z.object({}), tags, { extensionPagesOnly: true })
