import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { Duplex } from 'node:stream'
import {
  createAdaptorServer,
  getRequestListener,
  RequestError,
  type WebSocketServerLike,
} from '@hono/node-server'
import type { Logger } from './core/logger.ts'

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is already in use: stop what uses it or set PORT to another port`)
    this.name = 'PortInUseError'
  }
}

export type FetchHandler = (req: Request) => Response | Promise<Response>

/** Request line plus headers, the URL included: Node's default, stated so the error message can say it. */
export const MAX_HEADER_BYTES = 16 * 1024

type ErrorAnswer = { status: number; code: string; message: string }

const errorBody = (answer: ErrorAnswer) =>
  JSON.stringify({ message: answer.message, code: answer.code, request_id: randomUUID() })

/**
 * What Node's parser refused, by its error code. Node itself would answer these with a bare
 * status line and no body (431, 408, 400), or reset the connection.
 */
function parserErrorAnswer(err: NodeJS.ErrnoException): ErrorAnswer {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'bad_request',
        message: `The request line and headers (the URL included) must be at most ${MAX_HEADER_BYTES / 1024} KB`,
      }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'bad_request', message: 'The request did not arrive in time' }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        code: 'payload_too_large',
        message: 'The chunk extensions of the body are too long',
      }
    default:
      return { status: 400, code: 'bad_request', message: 'Malformed HTTP request' }
  }
}

/** How long an idle kept-alive connection stays open. */
export const KEEP_ALIVE_MS = 65_000

/** The same JSON answer through a ServerResponse (the request was parsed, the app is not involved). */
function answerJson(res: ServerResponse, answer: ErrorAnswer): void {
  const body = errorBody(answer)
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  })
  res.end(body)
}

/**
 * The hub's HTTP/1.1 server. Every answer is JSON with a message, also for requests that never
 * reach the app:
 * - the parser's refusals (`clientError`): URL or headers over 16 KB, malformed requests,
 *   request timeouts;
 * - requests the Hono adapter cannot turn into a Request (a backslash in the path, a Host
 *   header that does not parse): the adapter would answer an empty 400;
 * - an HTTP/1.1 request without Host, and an `Expect` other than 100-continue, which Node
 *   would answer with empty bodies itself.
 */
export function createHttpServer(
  fetch: FetchHandler,
  options: {
    host?: string
    logger?: Logger
    /**
     * A `ws` WebSocketServer created with `{ noServer: true }`: WebSocket upgrades (the realtime
     * channel) then reach the app's routes, which accept them with `upgradeWebSocket`.
     */
    websocket?: WebSocketServerLike
  } = {},
) {
  const logger = options.logger
  const listener = getRequestListener(fetch, {
    hostname: options.host,
    errorHandler: (err) => {
      const answer: ErrorAnswer =
        err instanceof RequestError
          ? { status: 400, code: 'bad_request', message: `The request cannot be read: ${err.message}` }
          : { status: 500, code: 'internal', message: 'Internal Server Error' }
      if (answer.status === 500) logger?.error({ err }, 'http: unhandled error outside the app')
      return new Response(errorBody(answer), {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
      })
    },
  })

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      answerJson(res, { status: 400, code: 'bad_request', message: 'HTTP/1.1 requests need a Host header' })
      return
    }
    void listener(req, res)
  }
  // requireHostHeader is answered above, in JSON, instead of by Node with an empty 400.
  const serverOptions: ServerOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    requireHostHeader: false,
    // An idle kept-alive connection stays open longer than the proxies and clients in front of
    // the hub keep theirs (load balancers' 60 s): otherwise the hub closes it (Node's default is
    // 5 s) just as a client sends its next request on it, which then fails with a reset.
    keepAliveTimeout: KEEP_ALIVE_MS,
    headersTimeout: KEEP_ALIVE_MS + 1_000,
  }
  const server: Server = options.websocket
    ? // The adapter wires the upgrade handling (its own, not exported otherwise); requests go to
      // `handle` above rather than to the adapter's listener, which has no error handler.
      (createAdaptorServer({
        fetch,
        hostname: options.host,
        websocket: { server: options.websocket },
        createServer: ((opts: ServerOptions) => createServer(opts, handle)) as typeof createServer,
        serverOptions,
        // Safe: `createServer` above is node:http's, so the adapter returns an http.Server.
      }) as Server)
    : createServer(serverOptions, handle)

  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    answerJson(res, {
      status: 417,
      code: 'bad_request',
      message: 'Expect: only 100-continue is supported',
    })
  })

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this connection (keep-alive) cannot be followed by
    // another status line; a reset peer cannot read one.
    const inFlight: unknown = Reflect.get(socket, '_httpMessage')
    const headersSent =
      typeof inFlight === 'object' && inFlight !== null && Reflect.get(inFlight, 'headersSent') === true
    if (err.code === 'ECONNRESET' || !socket.writable || headersSent) {
      socket.destroy()
      return
    }
    const answer = parserErrorAnswer(err)
    logger?.debug({ code: err.code, status: answer.status }, 'http: request refused by the parser')
    const body = errorBody(answer)
    socket.end(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
  })

  return server
}

/** Serves `fetch` (a Hono app's) on host:port with createHttpServer; resolves once it listens. */
export function listenHttp(
  fetch: FetchHandler,
  options: { port: number; host: string; logger?: Logger; websocket?: WebSocketServerLike },
): Promise<Server> {
  return new Promise((done, fail) => {
    const server = createHttpServer(fetch, options)
    const onError = (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new PortInUseError(options.port) : err)
    server.once('error', onError)
    server.listen(options.port, options.host, () => {
      server.off('error', onError)
      done(server)
    })
  })
}

/** Stops accepting, lets in-flight requests finish for a few seconds, then cuts the rest. */
export function stopServer(server: Server): Promise<void> {
  return new Promise((done) => {
    const force = setTimeout(() => server.closeAllConnections(), 5_000)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      done()
    })
    server.closeIdleConnections()
  })
}
