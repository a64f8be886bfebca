import { chmodSync, rmSync } from 'node:fs'
import { request, type Server } from 'node:http'
import { join, resolve } from 'node:path'
import { createAdaptorServer } from '@hono/node-server'
import type { Hono } from 'hono'

export const adminSocketPath = (dataDir: string) => join(resolve(dataDir), 'admin.sock')

export type AdminSocket = { path: string; close(): Promise<void> }

/**
 * Serves the admin app on DATA_DIR/admin.sock. The caller holds DATA_DIR's lock, so a socket
 * file already there was left by a hub that died: it is replaced. The socket is created under a
 * 0177 umask so it is 0600 from the first instant, not after a chmod.
 */
export async function listenAdminSocket(dataDir: string, app: Hono): Promise<AdminSocket> {
  const path = adminSocketPath(dataDir)
  rmSync(path, { force: true })
  // Without a createServer option the adaptor builds a plain node:http Server.
  const server = createAdaptorServer({ fetch: app.fetch }) as Server
  const previousUmask = process.umask(0o177)
  try {
    await new Promise<void>((done, fail) => {
      server.once('error', fail)
      server.listen(path, () => {
        server.off('error', fail)
        done()
      })
    })
  } finally {
    process.umask(previousUmask)
  }
  chmodSync(path, 0o600)
  const removeOnExit = () => rmSync(path, { force: true })
  process.once('exit', removeOnExit)
  let closing: Promise<void> | undefined
  return {
    path,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      }).then(() => {
        process.off('exit', removeOnExit)
        rmSync(path, { force: true })
      })
      return closing
    },
  }
}

export type AdminResponse = { status: number; body: unknown }

/** One HTTP request to a hub's admin socket (fetch cannot speak to unix sockets). */
export function adminRequest(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<AdminResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise((done, fail) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', fail)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          let parsed: unknown = null
          try {
            parsed = text ? JSON.parse(text) : null
          } catch {
            parsed = text
          }
          done({ status: res.statusCode ?? 0, body: parsed })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`the hub did not answer on ${socketPath} in time`)))
    req.on('error', fail)
    req.end(payload)
  })
}
