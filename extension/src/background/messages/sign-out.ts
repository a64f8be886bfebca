import { z } from 'zod'
import { signOut } from '../controller.ts'
import { createHandler } from '../handle.ts'

export default createHandler(z.object({}), signOut, { extensionPagesOnly: true })
