import { z } from 'zod'
import { directory } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(z.object({}), directory, { extensionPagesOnly: true })
