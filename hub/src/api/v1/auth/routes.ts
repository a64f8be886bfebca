import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { MAX_ID } from '../../../core/ids.ts'
import { createLinks } from '../../../core/links.ts'
import {
  type AuthDeps,
  acceptInvitation,
  forgotPassword,
  login,
  logout,
  resetPassword,
} from '../../../services/auth/auth-service.ts'
import { clientKey } from '../../../services/auth/client-key.ts'
import { emailField, newPassword } from '../../../services/users/user-fields.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { authenticate, requireUser } from '../../middleware/auth.ts'
import { clientAddress } from '../../middleware/client-address.ts'
import { withRetryAfter } from '../../middleware/retry-after.ts'
import { bearerSecurity, errorResponse, json, jsonBody } from '../../openapi.ts'
import { publicBase } from '../../pagination.ts'
import { mailLinkBase } from '../users/mail-deps.ts'
import { userSchema } from '../users/schemas.ts'

const tags = ['Auth']

const linkToken = z.string().min(1).max(200).openapi({ description: 'The token from the emailed link' })

const sessionSchema = z
  .object({
    token: z.string().openapi({ description: 'Send it as `Authorization: Bearer …`' }),
    expires_at: z.string(),
    user: userSchema,
  })
  .openapi('Session')

const companyChoiceSchema = z
  .object({
    message: z.string(),
    companies: z.array(z.object({ id: z.number().int(), name: z.string() })),
  })
  .openapi('CompanyChoice')

function authDeps(c: Context<AppEnv>): AuthDeps {
  const { db, clock, env, mailer } = c.var.deps
  return {
    db,
    clock,
    env,
    mailer,
    log: c.var.log,
    links: createLinks(publicBase(c)),
    mailBase: mailLinkBase(env),
    owner: c.var.deps,
    client: clientKey(clientAddress(c)),
  }
}

/** Public: these run without credentials (app.ts skips authentication under /v1/auth/*). */
export const authRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/login',
      tags,
      summary: 'Sign in with email and password',
      request: {
        body: jsonBody(
          z
            .object({
              email: z.string().trim().min(1).max(254),
              password: z.string().min(1).max(256),
              company_id: z.number().int().min(1).max(MAX_ID).optional().openapi({
                description:
                  'The company to sign in to, when this email is a user of several (see the 300 answer)',
              }),
            })
            .openapi('Login'),
        ),
      },
      responses: {
        200: json(sessionSchema, 'A dashboard session'),
        300: json(
          companyChoiceSchema,
          'This email and password open several companies: sign in again with one of these company_id',
        ),
        400: errorResponse('Invalid input'),
        401: errorResponse('Invalid email or password (the same answer for an unknown email)'),
        429: errorResponse(
          'Too many failed sign-ins from this address (for this email, or in all), or for this email from addresses it never signed in from; Retry-After says when to try again',
        ),
        503: errorResponse('The hub is busy checking passwords; Retry-After says when to try again'),
      },
    }),
    async (c) => {
      const result = await withRetryAfter(c, () => login(authDeps(c), c.req.valid('json')))
      if (result.kind === 'choice') {
        return c.json(
          {
            message: 'This email and password open several companies: send company_id to choose one',
            companies: result.companies,
          },
          300,
        )
      }
      return c.json(result.session, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/logout',
      tags,
      security: bearerSecurity,
      summary: 'Revoke the bearer token of this request',
      middleware: [authenticate, requireUser] as const,
      responses: {
        204: { description: 'Signed out; the token no longer works' },
        401: errorResponse('No credentials'),
        403: errorResponse('Bad credentials, or not a user token'),
      },
    }),
    async (c) => {
      await logout(c.var.deps, c.var.actor)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/invitations/accept',
      tags,
      summary: 'Accept an invitation: choose a password, get a session',
      request: {
        body: jsonBody(
          z
            .object({
              token: linkToken,
              password: newPassword,
              first_name: z.string().trim().max(100).optional(),
              last_name: z.string().trim().max(100).optional(),
            })
            .openapi('AcceptInvitation'),
        ),
      },
      responses: {
        200: json(sessionSchema, 'Password set; a dashboard session'),
        400: errorResponse('Invalid input, or an unknown, used or expired invitation (`field` = token)'),
        429: errorResponse('Too many password checks from this address at once'),
        503: errorResponse('The hub is busy checking passwords'),
      },
    }),
    async (c) =>
      c.json(await withRetryAfter(c, () => acceptInvitation(authDeps(c), c.req.valid('json'))), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/password/forgot',
      tags,
      summary: 'Email a password reset link (valid 1 hour) for each account with this email',
      request: { body: jsonBody(z.object({ email: emailField }).openapi('ForgotPassword')) },
      responses: {
        202: json(z.object({ message: z.string() }), 'Accepted, whether or not the email is known'),
        400: errorResponse('Invalid input'),
      },
    }),
    async (c) => {
      await forgotPassword(authDeps(c), c.req.valid('json').email)
      return c.json({ message: 'If this email belongs to a user, a reset link is on its way.' }, 202)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/password/reset',
      tags,
      summary: 'Set a new password from a reset link; revokes every session and agent token of the user',
      request: {
        body: jsonBody(z.object({ token: linkToken, password: newPassword }).openapi('ResetPassword')),
      },
      responses: {
        200: json(sessionSchema, 'Password changed; a new dashboard session'),
        400: errorResponse('Invalid input, or an unknown, used or expired link (`field` = token)'),
        429: errorResponse('Too many password checks from this address at once'),
        503: errorResponse('The hub is busy checking passwords'),
      },
    }),
    async (c) => c.json(await withRetryAfter(c, () => resetPassword(authDeps(c), c.req.valid('json'))), 200),
  )
