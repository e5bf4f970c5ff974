// The daemon's network APIs: gRPC on server.listen_address and REST on
// server.http.listen_address, both over one PolicyService.
//
//   const service = new PolicyService({ engine: () => current, limits: config.server.limits, hooks });
//   const servers = await startServers({ server: config.server, service, logger });
//   servers.setServing(true);            // once policies are loaded
//   ...
//   await servers.close({ graceMs: 10_000 });   // on SIGTERM

import type { ServerConfig } from '../config/types.js';
import { holdIdleTrim } from '../observability/idle-memory.js';
import { type RunningGrpcServer, startGrpcServer } from './grpc/server.js';
import { type RunningHttpServer, startHttpServer } from './http/server.js';
import { SILENT_LOGGER, type ServerLogger } from './logger.js';
import { Readiness } from './readiness.js';
import type { PolicyService } from './service.js';
import { loadTls } from './tls.js';

export { ERROR_CODES, ServiceError, type ErrorCode } from './errors.js';
export type { ServerLogger } from './logger.js';
export { PROTO_PATH, SERVICE_NAME } from './grpc/proto.js';
export {
  PolicyService,
  type DecisionInfo,
  type ErrorInfo,
  type Operation,
  type PolicyServiceOptions,
  type ServiceHooks,
  type Transport,
} from './service.js';

export interface StartServersOptions {
  readonly server: ServerConfig;
  readonly service: PolicyService;
  readonly logger?: ServerLogger;
}

export interface RunningServers {
  /** The bound gRPC port (the real one when the address says port 0). */
  readonly grpcPort: number;
  /** The bound REST port; undefined when server.http.enabled is false. */
  readonly httpPort: number | undefined;
  /**
   * Readiness for the gRPC health service and GET /health[/ready]. Starts
   * false; effective only while the service has an engine.
   */
  setServing(serving: boolean): void;
  /**
   * Readiness off, stop accepting connections, let requests in flight
   * finish for up to graceMs, then cut what is left. Idempotent.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

const DEFAULT_GRACE_MS = 10_000;

export async function startServers(options: StartServersOptions): Promise<RunningServers> {
  const { server, service } = options;
  const logger = options.logger ?? SILENT_LOGGER;
  const tls = loadTls(server.tls);
  const readiness = new Readiness(service);

  const grpc: RunningGrpcServer = await startGrpcServer({ server, service, readiness, tls, logger });
  let http: RunningHttpServer | undefined;
  try {
    if (server.http.enabled) http = await startHttpServer({ server, service, readiness, tls, logger });
  } catch (e) {
    // Do not leave the gRPC port bound when the REST one fails (address in use).
    await grpc.close(0);
    throw e;
  }

  // While the servers are up and idle, the young generation V8 grew for start-up and load is given back (idle-memory.ts).
  const releaseTrim = holdIdleTrim();
  let closing: Promise<void> | undefined;
  return {
    grpcPort: grpc.port,
    httpPort: http?.port,
    setServing: (serving) => readiness.setServing(serving),
    close({ graceMs = DEFAULT_GRACE_MS } = {}) {
      closing ??= (async () => {
        releaseTrim();
        readiness.stop();
        await Promise.all([grpc.close(graceMs), http?.close(graceMs)]);
      })();
      return closing;
    },
  };
}
