// The gRPC port: the PolicyEngine service, grpc.health.v1.Health (what the
// Kubernetes probes call) and server reflection, with the guide's grpc
// settings and limits.
//
// We accept connections on our own net.Server and hand them to grpc-js
// (createConnectionInjector) rather than calling bindAsync: grpc-js has no
// connection limit, and a net.Server enforces server.limits.max_connections
// and tells us the port it bound (port 0 in tests).

import { type ChannelOptions, Server, ServerCredentials } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { type Server as NetServer, type Socket, createServer } from 'node:net';
import type { ServerConfig } from '../../config/types.js';
import { parseListenAddress } from '../address.js';
import type { ServerLogger } from '../logger.js';
import type { Readiness } from '../readiness.js';
import type { PolicyService } from '../service.js';
import type { TlsMaterial } from '../tls.js';
import { ServiceError } from '../errors.js';
import { policyEngineHandlers } from './handlers.js';
import { SERVICE_NAME, loadProto } from './proto.js';
import { refusedMessageInterceptor } from './refused-messages.js';

export interface GrpcServerOptions {
  readonly server: ServerConfig;
  readonly service: PolicyService;
  readonly readiness: Readiness;
  readonly tls?: TlsMaterial;
  readonly logger: ServerLogger;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** Stops accepting, lets calls in flight finish for up to graceMs, then cuts what is left. */
  close(graceMs: number): Promise<void>;
}

const MiB = 1024 * 1024;

/** server.grpc and server.limits as grpc-js options (0 leaves a setting at grpc-js's default). */
export function grpcChannelOptions(server: ServerConfig): ChannelOptions {
  const g = server.grpc;
  const o: Record<string, number> = {
    // Larger messages fail with RESOURCE_EXHAUSTED before they are decoded.
    'grpc.max_receive_message_length': Math.floor(server.limits.max_request_size_mb * MiB),
  };
  if (g.max_concurrent_streams > 0) o['grpc.max_concurrent_streams'] = g.max_concurrent_streams;
  if (g.keepalive_interval_seconds > 0) o['grpc.keepalive_time_ms'] = g.keepalive_interval_seconds * 1000;
  if (g.keepalive_timeout_seconds > 0) o['grpc.keepalive_timeout_ms'] = g.keepalive_timeout_seconds * 1000;
  if (g.max_connection_age_seconds > 0) o['grpc.max_connection_age_ms'] = g.max_connection_age_seconds * 1000;
  return o;
}

function credentialsOf(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientAuth);
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { host, port } = parseListenAddress(opts.server.listen_address, 'server.listen_address');
  const { packageDefinition, service } = loadProto();

  // Messages over max_request_size_mb are refused inside grpc-js: the interceptor reports them as the service's too-large errors.
  const tooLarge = refusedMessageInterceptor((details) => opts.service.transportError(new ServiceError('resource_exhausted', details), 'grpc'));
  // Channelz stays on although nothing serves it: grpc-js's forceShutdown finds
  // the sessions to cancel through it (without it, calls cut at the end of the
  // grace period end UNAVAILABLE instead of CANCELLED).
  const grpcServer = new Server({ ...grpcChannelOptions(opts.server), interceptors: [tooLarge] });
  grpcServer.addService(service, policyEngineHandlers(opts.service));
  // '' is the whole server (what a Kubernetes grpc probe asks about without a service name).
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(grpcServer);
  opts.readiness.onChange((ready) => {
    const status = ready ? 'SERVING' : 'NOT_SERVING';
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  });
  new ReflectionService(packageDefinition).addToServer(grpcServer);

  const injector = grpcServer.createConnectionInjector(credentialsOf(opts.tls));
  const sockets = new Set<Socket>();
  const listener: NetServer = createServer({ noDelay: true, keepAlive: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A client that vanishes mid-handshake is not our error; grpc-js handles session errors.
    socket.on('error', () => undefined);
    injector.injectConnection(socket);
  });
  listener.maxConnections = opts.server.limits.max_connections;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host, port }, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  listener.on('error', (e) => opts.logger.error({ err: e }, 'gRPC listener error'));
  const bound = (listener.address() as { port: number }).port;
  opts.logger.info({ address: `${host}:${bound}`, tls: Boolean(opts.tls), mtls: Boolean(opts.tls?.clientAuth) }, 'gRPC server listening');

  let closing: Promise<void> | undefined;
  return {
    port: bound,
    close(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        listener.close();
        // Sends GOAWAY on every connection and waits for their calls to finish.
        const force = setTimeout(() => {
          grpcServer.forceShutdown();
          for (const s of sockets) s.destroy();
        }, graceMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(force);
          injector.destroy();
          // Connections still in their TLS handshake never became sessions: cut them too.
          for (const s of sockets) s.destroy();
          resolve();
        });
      });
      return closing;
    },
  };
}
