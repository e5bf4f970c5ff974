// Entry of a cluster worker process (cluster.ts forks it): a serving process
// whose logs, audit records, metrics and (with limits.store memory) limit
// counts go through the primary.

import './start-small.js';
import type { DaemonConfig } from '../config/types.js';
import { IpcLimitStore } from '../limits/ipc-store.js';
import { serveMetricsToPrimary } from '../observability/cluster-metrics.js';
import { createLogger } from '../observability/logger.js';
import { letYoungGenerationGrow } from '../observability/young-generation.js';
import { limitStoreFor } from './engine-from-config.js';
import { IpcWritable } from './ipc-stream.js';
import { finishStream } from './outputs.js';
import { ServingProcess } from './serving.js';
import { WORKER_CONFIG_ENV, type WorkerMessage, isPrimaryMessage } from './worker-protocol.js';
import cluster from 'node:cluster';

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as DaemonConfig | null;
if (!config || !process.send) {
  console.error('worker-main is started by `policy-engine daemon` with runtime.worker_threads > 1, not directly');
  process.exit(2);
}
const send = (m: WorkerMessage) => process.send?.(m);
const workerId = cluster.worker?.id ?? 0;

const logStream = new IpcWritable('log');
const auditStream = new IpcWritable('audit');
const log = createLogger({ ...config.logging, output: 'stdout' }, { stream: logStream });
const logger = log.logger.child({ worker: workerId });

process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (the worker carries on)'));
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'uncaught exception: the worker exits (the primary starts another)');
  void finishStream(logStream, true).finally(() => process.exit(1));
});

const serving = new ServingProcess({
  // The primary writes the real destination; here records go to it as text.
  config: { ...config, audit: { ...config.audit, output: config.audit.output === 'governance' ? 'governance' : 'stdout' } },
  logger,
  requestFields: log.requestFields as (c: unknown, t?: string) => Record<string, unknown>,
  limitStore: limitStoreFor(config, () => new IpcLimitStore()),
  auditStdout: auditStream,
  countReloads: false,
});
serveMetricsToPrimary(serving.metrics.registry);

let stopping = false;
const shutdown = async (graceMs: number) => {
  if (stopping) return;
  stopping = true;
  await serving.close(graceMs);
  await log.flush();
  await finishStream(auditStream, true);
  await finishStream(logStream, true);
  process.exit(0);
};

process.on('message', (m: unknown) => {
  if (!isPrimaryMessage(m)) return;
  if (m.t === 'policy-engine:shutdown') void shutdown(m.grace_ms);
  else void serving.reload().then((outcome) => send({ t: 'policy-engine:reloaded', id: m.id, outcome }));
});
// Ctrl-C reaches the whole process group: the primary decides, and tells the workers.
process.on('SIGINT', () => undefined);
// A SIGTERM sent to this worker alone stops it gracefully.
process.on('SIGTERM', () => void shutdown(config.server.limits.request_timeout_seconds * 1000 + 1000));

try {
  await serving.start({ loadBeforeListening: true });
  letYoungGenerationGrow();
  const ports = serving.ports;
  send({ t: 'policy-engine:listening', grpc_port: ports.grpc, http_port: ports.http });
} catch (e) {
  send({ t: 'policy-engine:start-failed', message: e instanceof Error ? e.message : String(e) });
  await serving.close(0);
  await finishStream(logStream, true);
  process.exit(1);
}
