import { z } from 'zod'
import { callbackTasks } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(z.object({}), callbackTasks, { extensionPagesOnly: true })
