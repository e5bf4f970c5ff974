// What the REST port answers when Node's http server gives up on a connection
// before a request reaches Fastify (its 'clientError' event, handled through
// Fastify's clientErrorHandler option).
//
// A slow sender — headers or body not complete within
// server.limits.request_timeout_seconds (requestTimeout / headersTimeout in
// server.ts) — gets a 408 in the API's error shape, counted like any other
// error, and its connection is closed. The request Fastify (or the fast path)
// may have been reading then fails with the connection gone: cutOffError()
// gives it the error already reported, so it is counted once, as a timeout.
//
// Other client errors (malformed HTTP, headers too large) keep the answers
// Fastify's default handler gives them.

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ServiceError } from '../errors.js';

export interface ClientErrorOptions {
  readonly timeoutSeconds: number;
  /** Reports the 408 as a request error (PolicyService.transportError: metrics and logs). */
  readonly report: (error: ServiceError) => void;
}

type ClientError = Error & { code?: string };

/** Connections cut off by the request timeout, with the error reported for each. */
const cutOff = new WeakMap<object, ServiceError>();

/** The timeout error of a connection cut off by clientErrorHandler, if it was. */
export function cutOffError(socket: object | null | undefined): ServiceError | undefined {
  return socket ? cutOff.get(socket) : undefined;
}

export function clientErrorHandler(o: ClientErrorOptions): (err: ClientError, socket: Socket) => void {
  const message = `the request (headers and body) did not arrive within ${o.timeoutSeconds} s (server.limits.request_timeout_seconds)`;
  return (err, socket) => {
    // A reset connection is already gone: nothing to answer, nothing to count.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      // An answer already under way (a refused body answered early while the client keeps sending) is
      // not interrupted by another; that request was counted when it was answered. Node makes the same check.
      if (socket.writable && !responseStarted(socket)) {
        const e = new ServiceError('request_timeout', message);
        cutOff.set(socket, e);
        o.report(e);
        socket.write(rawResponse(e.httpStatus, JSON.stringify(e.toJSON()), 'application/json; charset=utf-8'));
      }
      socket.destroy(err);
      return;
    }
    // Fastify's default answers, closing the connection as it does.
    const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Exceeded maximum allowed HTTP header size'] : [400, 'Client Error'];
    if (socket.writable) socket.write(rawResponse(status, `{"error":"${STATUS_CODES[status]}","message":"${text}","statusCode":${status}}`, 'application/json'));
    socket.destroy(err);
  };
}

/** Whether the connection's current response has sent its headers (Node's own check reads the same field). */
function responseStarted(socket: Socket): boolean {
  const res = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return res?.headersSent === true;
}

function rawResponse(status: number, body: string, contentType: string): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
