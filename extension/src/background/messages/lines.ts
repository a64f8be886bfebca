import { z } from 'zod'
import { lines } from '../controller.ts'
import { createHandler } from '../handle.ts'

// Content scripts ask for it (the line picker): names and numbers of the agent's lines only.
export default createHandler(z.object({}), lines)
