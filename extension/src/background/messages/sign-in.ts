import { z } from 'zod'
import { signIn } from '../controller.ts'
import { createHandler } from '../handle.ts'

// The body is parsed by signIn itself (signInBodySchema) so its errors read as sign-in errors.
export default createHandler(z.unknown(), signIn, { extensionPagesOnly: true })
