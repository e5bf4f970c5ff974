// The REST port: the Fastify app on an http or https server we create
// ourselves, so every server.limits setting reaches Node's server options.

import type { FastifyServerFactory } from 'fastify';
import { type Server as HttpServer, type ServerOptions, createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerConfig } from '../../config/types.js';
import { parseListenAddress } from '../address.js';
import type { ServerLogger } from '../logger.js';
import type { Readiness } from '../readiness.js';
import type { PolicyService } from '../service.js';
import type { TlsMaterial } from '../tls.js';
import { buildHttpApp } from './app.js';
import { clientErrorHandler } from './client-errors.js';
import { FastEvaluate } from './fast-evaluate.js';
import { SCHEMAS } from './routes.js';

export interface HttpServerOptions {
  readonly server: ServerConfig;
  readonly service: PolicyService;
  readonly readiness: Readiness;
  readonly tls?: TlsMaterial;
  readonly logger: ServerLogger;
  /** Answer plain POST /v1/evaluate requests in front of Fastify (fast-evaluate.ts); default true. */
  readonly fastEvaluate?: boolean;
}

export interface RunningHttpServer {
  readonly port: number;
  /** Stops accepting, lets requests in flight finish for up to graceMs, then cuts the connections left. */
  close(graceMs: number): Promise<void>;
}

export function httpServerFactory(server: ServerConfig, tls: TlsMaterial | undefined): FastifyServerFactory {
  const ms = server.limits.request_timeout_seconds * 1000;
  return (handler) => {
    const options: ServerOptions = {
      noDelay: true,
      // Node checks request timeouts on this interval (30 s by default): a 5 s limit needs a finer one.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, ms)),
      // The whole request (headers and body) must arrive within the limit: slow senders are cut off (with a 408: client-errors.ts).
      ...(ms > 0 ? { requestTimeout: ms, headersTimeout: ms } : {}),
    };
    const s = tls
      ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), requestCert: tls.clientAuth, rejectUnauthorized: tls.clientAuth }, handler)
      : createHttpServer(options, handler);
    // Idle sockets mid-request; a second more than the service's own deadline so its 504 gets out first.
    if (ms > 0) s.setTimeout(ms + 1000);
    s.keepAliveTimeout = 72_000;
    s.maxConnections = server.limits.max_connections;
    // https.Server is an http.Server to Fastify: same request/response objects.
    return s as unknown as HttpServer;
  };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const { host, port } = parseListenAddress(opts.server.http.listen_address, 'server.http.listen_address');
  const cors = { enabled: opts.server.http.cors_enabled, allowedOrigins: opts.server.http.cors_allowed_origins };
  const factory = httpServerFactory(opts.server, opts.tls);
  const fast =
    opts.fastEvaluate === false
      ? undefined
      : new FastEvaluate({
          service: opts.service,
          maxRequestSizeMb: opts.server.limits.max_request_size_mb,
          cors,
          // The serializer Fastify compiles for the route's 200 answer (the app is ready by the first request).
          serializer: () => app.serializerCompiler!({ schema: SCHEMAS.Decision, method: 'POST', url: '/v1/evaluate', httpStatus: '200' }) as (d: unknown) => string,
        });
  const app = await buildHttpApp({
    service: opts.service,
    readiness: opts.readiness,
    maxRequestSizeMb: opts.server.limits.max_request_size_mb,
    cors,
    // A slow sender's 408 in the API's error shape, counted as a timeout.
    clientErrorHandler: clientErrorHandler({ timeoutSeconds: opts.server.limits.request_timeout_seconds, report: (e) => opts.service.transportError(e, 'http') }),
    serverFactory: fast ? (handler, o) => factory((req, res) => void (fast.handle(req, res) || handler(req, res)), o) : factory,
  });
  await app.listen({ host, port });
  const bound = (app.server.address() as { port: number }).port;
  opts.logger.info({ address: `${host}:${bound}`, tls: Boolean(opts.tls), mtls: Boolean(opts.tls?.clientAuth) }, 'HTTP server listening');

  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close(graceMs) {
      closing ??= (async () => {
        // From here Fastify answers everything (it marks answers `connection: close` while closing).
        if (fast) fast.closing = true;
        const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
        try {
          await app.close();
        } finally {
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}
