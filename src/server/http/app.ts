// The REST adapter: a Fastify app over the service. Built without listening,
// so tests can also use app.inject().

import cors from '@fastify/cors';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify';
import { ServiceError } from '../errors.js';
import type { Readiness } from '../readiness.js';
import type { PolicyService } from '../service.js';
import { cutOffError } from './client-errors.js';
import { httpErrorOf } from './errors.js';
import { parseJsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { type RouteSpec, SCHEMAS, routeTable } from './routes.js';

export interface HttpAppOptions {
  readonly service: PolicyService;
  readonly readiness: Readiness;
  readonly maxRequestSizeMb: number;
  readonly cors: { readonly enabled: boolean; readonly allowedOrigins: readonly string[] };
  /** Creates the Node server (http or https) with its timeouts; default: Fastify's plain http server. */
  readonly serverFactory?: FastifyServerFactory;
  /** Node's 'clientError' (a request timeout, malformed HTTP): client-errors.ts; default: Fastify's handler. */
  readonly clientErrorHandler?: (err: Error & { code?: string }, socket: Socket) => void;
}

const MiB = 1024 * 1024;

/** '*' allows any origin; an entry with '*' inside (https://*.example.com) matches that pattern. */
export function corsOrigin(origins: readonly string[]): string | (string | RegExp)[] {
  if (origins.includes('*')) return '*';
  return origins.map((o) => (o.includes('*') ? new RegExp(`^${o.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`) : o));
}

export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  // A body read that failed because the request timed out is the timeout's error, already reported once.
  const errorOf = (err: unknown, req: FastifyRequest): ServiceError =>
    cutOffError(req.raw.socket) ?? httpErrorOf(err, opts.maxRequestSizeMb, req.headers['content-type']);
  const app = Fastify({
    // No logger: the daemon logs requests through the service hooks.
    logger: false,
    bodyLimit: Math.floor(opts.maxRequestSizeMb * MiB),
    // Requests arriving on a kept-alive connection during shutdown are still answered (in the grace period).
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    // We do not read client-supplied request ids.
    requestIdHeader: false,
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
    ...(opts.clientErrorHandler ? { clientErrorHandler: opts.clientErrorHandler } : {}),
    frameworkErrors: (err, req, reply) => {
      const e = opts.service.transportError(errorOf(err, req as FastifyRequest), 'http');
      void (reply as FastifyReply).code(e.httpStatus).send(e.toJSON());
    },
  });

  // JSON only: text/plain (Fastify's other default) would let browsers post without a CORS preflight.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.setErrorHandler((err, req, reply) => {
    // Errors from the service were reported by it; the rest (body limit, JSON syntax) are reported here.
    const e = opts.service.transportError(errorOf(err, req), 'http');
    void reply.code(e.httpStatus).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    const e = opts.service.transportError(new ServiceError('not_found', `no route ${req.method} ${req.url.split('?')[0]}: see GET /openapi.json`), 'http');
    void reply.code(e.httpStatus).send(e.toJSON());
  });

  if (opts.cors.enabled) {
    await app.register(cors, { origin: corsOrigin(opts.cors.allowedOrigins), methods: ['GET', 'HEAD', 'POST'], maxAge: 600 });
  }

  let doc: object | undefined;
  const routes: readonly RouteSpec[] = routeTable({ service: opts.service, readiness: opts.readiness, openApi: () => (doc ??= openApiDocument(routes)) });
  for (const r of routes) {
    const response: Record<string, unknown> = {};
    if (r.serialize) response['200'] = SCHEMAS[r.response];
    if (r.unavailableBody) response['503'] = SCHEMAS[r.unavailableBody];
    app.route({ method: r.method, url: r.url, schema: { response }, handler: r.handler });
  }
  return app;
}
