import { createRouter } from '../../context.ts'

export const tagsRoutes = createRouter()
