// POST /v1/evaluate without Fastify's per-request machinery.
//
// The evaluation route is the daemon's hot path, and Fastify's request
// lifecycle (request and reply objects, hooks, routing, content-type
// parsing, reply serialization) costs about as much again as the evaluation,
// its metrics and its audit record together. The plain evaluation request —
// the exact URL, a JSON body with a Content-Length, no Origin header — is
// answered here, in front of Fastify, with the answer Fastify would give: the
// same status, headers (CORS included), body and error bodies, through the
// same parser, service, error mapping and serializer. Anything else (another
// route, a query string, a chunked or oversized body, another media type, a
// CORS request, a server that is closing) goes to Fastify as before.
// test/server/http-fast-path.test.ts compares the two answer for answer.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../../engine/decision.js';
import type { ServiceError } from '../errors.js';
import type { PolicyService } from '../service.js';
import { cutOffError } from './client-errors.js';
import { httpErrorOf } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { traceIdFrom } from '../trace-id.js';

export interface FastEvaluateOptions {
  readonly service: PolicyService;
  readonly maxRequestSizeMb: number;
  readonly cors: { readonly enabled: boolean; readonly allowedOrigins: readonly string[] };
  /** The route's 200 serializer, as Fastify compiles it (called once, when the first request comes). */
  readonly serializer: () => (decision: Decision) => string;
}

const URL = '/v1/evaluate';
const JSON_TYPE = 'application/json; charset=utf-8';

export class FastEvaluate {
  private readonly bodyLimit: number;
  /** What @fastify/cors adds to a response to a request without an Origin header. */
  private readonly corsHeaders: readonly (readonly [string, string])[];
  private serialize: ((decision: Decision) => string) | undefined;
  /** Set when the server starts closing: Fastify then marks answers `connection: close`, so it answers them. */
  closing = false;

  constructor(private readonly o: FastEvaluateOptions) {
    this.bodyLimit = Math.floor(o.maxRequestSizeMb * 1024 * 1024);
    if (!o.cors.enabled) this.corsHeaders = [];
    // corsOrigin() turns a list holding '*' into '*': any origin, and no Vary.
    else if (o.cors.allowedOrigins.includes('*')) this.corsHeaders = [['access-control-allow-origin', '*']];
    // A list of origins: Vary, and no Allow-Origin for a request that names none.
    else this.corsHeaders = [['vary', 'Origin']];
  }

  /** Answers the request and returns true, or returns false (and touches nothing) for Fastify to answer it. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.url !== URL || req.method !== 'POST' || this.closing) return false;
    const h = req.headers;
    const type = h['content-type'];
    if ((type !== 'application/json' && type !== JSON_TYPE) || h.origin !== undefined || h['transfer-encoding'] !== undefined) return false;
    const length = h['content-length'];
    if (length === undefined) return false;
    const n = Number(length);
    if (!(n > 0 && n <= this.bodyLimit)) return false;

    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (err?: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onEnd);
      if (err != null) {
        // As Fastify's body reader: a failed read is a 400 of the request (the connection is likely gone).
        const e = err as Error & { statusCode?: number };
        if (!(typeof e.statusCode === 'number' && e.statusCode >= 400)) e.statusCode = 400;
        return this.parseFailed(res, e, type);
      }
      if (received !== n) return this.parseFailed(res, Object.assign(new Error('Request body size did not match Content-Length'), { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 }), type);
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, received).toString('utf8');
      let body: unknown;
      try {
        body = parseJsonBody(text);
      } catch (e) {
        return this.parseFailed(res, e, type);
      }
      this.o.service.evaluate(body, 'http', traceIdFrom((n) => req.headers[n])).then(
        (d) => {
          let json: string;
          try {
            json = (this.serialize ??= this.o.serializer())(d);
          } catch (e) {
            return this.failed(res, e, type, false);
          }
          this.send(res, 200, json, false);
        },
        (e: unknown) => this.failed(res, e, type, false),
      );
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onEnd);
    return true;
  }

  /** A body that could not be read or parsed: Fastify answers those with `connection: close` (the client may still be sending). */
  private parseFailed(res: ServerResponse, err: unknown, type: string | undefined): void {
    this.failed(res, err, type, true);
  }

  private failed(res: ServerResponse, err: unknown, type: string | undefined, close: boolean): void {
    // A body cut off by the request timeout is the timeout's error (client-errors.ts), already reported.
    const mapped = cutOffError(res.req.socket) ?? httpErrorOf(err, this.o.maxRequestSizeMb, type);
    let e: ServiceError;
    try {
      e = this.o.service.transportError(mapped, 'http');
    } catch {
      e = mapped;
    }
    this.send(res, e.httpStatus, JSON.stringify(e.toJSON()), close);
  }

  private send(res: ServerResponse, status: number, body: string, close: boolean): void {
    if (res.writableEnded || res.destroyed) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of this.corsHeaders) headers[k] = v;
    if (close) headers.connection = 'close';
    headers['content-type'] = JSON_TYPE;
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }
}
