import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createLinks } from '../../../core/links.ts'
import {
  type AuthDeps,
  acceptInvitation,
  forgotPassword,
  login,
  logout,
  resetPassword,
} from '../../../services/auth/auth-service.ts'
import { emailField } from '../../../services/users/user-fields.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { authenticate, requireUser } from '../../middleware/auth.ts'
import { bearerSecurity, errorResponse, json, jsonBody } from '../../openapi.ts'
import { publicBase } from '../../pagination.ts'
import { userSchema } from '../users/schemas.ts'

const tags = ['Auth']

/** Minimum length only: length beats composition rules (NIST SP 800-63B); the cap bounds argon2 work. */
const newPassword = z.string().min(10, 'must be at least 10 characters').max(256)
const linkToken = z.string().min(1).max(200).openapi({ description: 'The token from the emailed link' })

const sessionSchema = z
  .object({
    token: z.string().openapi({ description: 'Send it as `Authorization: Bearer …`' }),
    expires_at: z.string(),
    user: userSchema,
  })
  .openapi('Session')

function authDeps(c: Context<AppEnv>): AuthDeps {
  const { db, clock, env, mailer } = c.var.deps
  const mailBase = env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
  return {
    db,
    clock,
    env,
    mailer,
    log: c.var.log,
    links: createLinks(publicBase(c)),
    mailBase,
    owner: c.var.deps,
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
            .object({ email: z.string().trim().min(1).max(254), password: z.string().min(1).max(256) })
            .openapi('Login'),
        ),
      },
      responses: {
        200: json(sessionSchema, 'A dashboard session'),
        400: errorResponse('Invalid input'),
        401: errorResponse('Invalid email or password (the same answer for an unknown email)'),
        429: errorResponse('Too many failed logins for this email'),
      },
    }),
    async (c) => c.json(await login(authDeps(c), c.req.valid('json')), 200),
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
      },
    }),
    async (c) => c.json(await acceptInvitation(authDeps(c), c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/auth/password/forgot',
      tags,
      summary: 'Email a password reset link (valid 1 hour)',
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
      summary: 'Set a new password from a reset link; signs out every session',
      request: {
        body: jsonBody(z.object({ token: linkToken, password: newPassword }).openapi('ResetPassword')),
      },
      responses: {
        200: json(sessionSchema, 'Password changed; a new dashboard session'),
        400: errorResponse('Invalid input, or an unknown, used or expired link (`field` = token)'),
      },
    }),
    async (c) => c.json(await resetPassword(authDeps(c), c.req.valid('json')), 200),
  )
