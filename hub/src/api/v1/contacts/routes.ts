import { createRouter } from '../../context.ts'

export const contactsRoutes = createRouter()
