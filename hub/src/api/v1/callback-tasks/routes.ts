import { createRoute, z } from '@hono/zod-openapi'
import { completeCallbackTask, listCallbackTasks } from '../../../services/calls/callback-task-service.ts'
import { createRouter } from '../../context.ts'
import { errorResponses, idParams, json, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

const callbackTaskSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(['open', 'done']),
    call_id: z.number().int(),
    call_link: z.string(),
    phone_number: z.string().openapi({ description: 'Whom to call back (E.164, or anonymous)' }),
    raw_digits: z.string(),
    number: z
      .object({ id: z.number().int(), name: z.string(), digits: z.string(), direct_link: z.string() })
      .nullable(),
    created_at: z.number().int().openapi({ description: 'UNIX seconds: when the caller pressed *' }),
    done_at: z.number().int().nullable(),
    done_by: z.object({ id: z.number().int(), direct_link: z.string() }).nullable(),
  })
  .openapi('CallbackTask')

const tags = ['Callback tasks']

export const callbackTasksRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/callback_tasks',
      tags,
      security,
      summary:
        'Callers who pressed * to be called back: open tasks by default (an agent sees their numbers’)',
      request: {
        query: paginationQuery.extend({ status: z.enum(['open', 'done', 'all']).default('open') }),
      },
      responses: {
        200: json(pageOf('callback_tasks', callbackTaskSchema), 'Callback tasks'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { tasks, total } = await listCallbackTasks(serviceContext(c), q)
      return c.json({ callback_tasks: tasks, meta: buildMeta(c, q, tasks.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/callback_tasks/{id}/done',
      tags,
      security,
      summary: 'Mark a callback task done',
      request: { params: idParams },
      responses: {
        200: json(z.object({ callback_task: callbackTaskSchema }), 'The task, done'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const task = await completeCallbackTask(serviceContext(c), c.req.valid('param').id)
      return c.json({ callback_task: task }, 200)
    },
  )
