// The daemon over several cores (runtime.worker_threads > 1, or 0 for one per
// core): worker processes from node:cluster, each a full serving process on
// the same ports (the primary hands out connections round-robin).
//
// Why processes and not worker_threads: every request would otherwise cross
// a thread boundary twice (structured clone of the context and the decision),
// which costs more than the evaluation itself; with processes the kernel and
// the primary pass whole connections, and a request never leaves its worker.
//
// The primary keeps what must be one:
//  - the limit counts when limits.store is memory (ipc-store.ts: workers ask
//    the primary, which checks and reserves atomically for all of them);
//  - the log and audit destinations (ipc-stream.ts: one writer per file);
//  - the /metrics port, merging every worker's metrics (cluster-metrics.ts);
//  - the policy watcher: on a change every worker reloads, and the primary
//    logs and counts the reload once.

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { DaemonConfig } from '../config/types.js';
import { IpcLimitStoreHost } from '../limits/ipc-store.js';
import { aggregateClusterMetrics } from '../observability/cluster-metrics.js';
import { letYoungGenerationGrow } from '../observability/young-generation.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.js';
import { PolicyWatcher } from '../sources/directory-watch.js';
import { IpcStreamHost } from './ipc-stream.js';
import { auditDestination, finishStream, logDestination, metricsHost, orExit, shutdownGraceMs } from './outputs.js';
import type { ReloadOutcome } from './serving.js';
import { onShutdownSignals, onUncaughtErrors } from './signals.js';
import type { StartupNote } from './startup.js';
import { WORKER_CONFIG_ENV, type WorkerMessage, isWorkerMessage } from './worker-protocol.js';

/** A worker that dies within this long after starting is not restarted at once: a crash loop is slowed down. */
const RESTART_DELAY_MS = 1000;

export async function runClusterPrimary(config: DaemonConfig, notes: readonly StartupNote[], count: number): Promise<void> {
  const logOut = orExit(() => logDestination(config.logging));
  const auditOut = orExit(() => auditDestination(config.audit));
  const log = createLogger({ ...config.logging, output: 'stdout' }, { stream: logOut.stream });
  const logger = log.logger.child({ role: 'primary' });
  onUncaughtErrors(logger, () => log.flush());
  for (const n of notes) logger[n.level]({ key: n.path }, n.message);

  const limitHost = config.limits.store === 'memory' ? new IpcLimitStoreHost() : undefined;
  const streams = new IpcStreamHost({ log: logOut.stream, audit: auditOut?.stream });
  // The primary's own share of the metrics: reloads counted once, and its process metrics.
  const metrics = new Metrics();
  let shuttingDown = false;
  let started = false;
  let nextReload = 1;
  const pending = new Map<number, { outcomes: ReloadOutcome[]; waiting: number; done: () => void }>();

  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)),
    args: [],
    serialization: 'advanced',
  });

  const fork = (): Worker => {
    const w = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
    limitHost?.serve(w);
    streams.serve(w);
    const bornAt = Date.now();
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      onWorkerMessage(w, m);
    });
    w.on('exit', (code, signal) => {
      if (shuttingDown) return;
      const delay = Date.now() - bornAt < RESTART_DELAY_MS ? RESTART_DELAY_MS : 0;
      logger.error({ worker: w.id, code, signal }, `worker ${w.id} stopped unexpectedly: starting another`);
      setTimeout(() => {
        if (!shuttingDown) fork();
      }, delay).unref();
    });
    return w;
  };

  let listening = 0;
  const onWorkerMessage = (w: Worker, m: WorkerMessage): void => {
    switch (m.t) {
      case 'policy-engine:listening':
        listening++;
        if (!started && listening >= count) {
          started = true;
          // pino's own fields already carry the pid: a second `pid` key would make the JSON line ambiguous.
          logger.info({ grpc_port: m.grpc_port, http_port: m.http_port, metrics_port: metricsServer?.port, workers: count }, 'policy-engine daemon started');
          letYoungGenerationGrow();
        }
        return;
      case 'policy-engine:start-failed':
        logger.fatal({ worker: w.id }, `cannot start: ${m.message}`);
        void stop(1);
        return;
      case 'policy-engine:reloaded': {
        const p = pending.get(m.id);
        if (!p) return;
        p.outcomes.push(m.outcome);
        if (--p.waiting === 0) p.done();
        return;
      }
    }
  };

  let metricsServer: MetricsServer | undefined;
  if (config.metrics.enabled && config.metrics.prometheus.enabled) {
    const p = config.metrics.prometheus;
    try {
      metricsServer = await startMetricsServer({ host: metricsHost(config), port: p.port, path: p.path }, () =>
        aggregateClusterMetrics(Object.values(cluster.workers ?? {}), { local: [metrics.registry] }),
      );
      logger.info({ address: `${metricsServer.host}:${metricsServer.port}`, path: p.path }, 'metrics server listening (all workers)');
    } catch (e) {
      logger.fatal({ err: e }, `cannot start: ${e instanceof Error ? e.message : String(e)}`);
      await log.close();
      process.exit(1);
    }
  }
  for (let i = 0; i < count; i++) fork();

  // Every worker reloads; the outcome is logged and counted once.
  const watcher = new PolicyWatcher([config.registry.local_policy_dir], async () => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
    if (workers.length === 0) return;
    const id = nextReload++;
    const outcomes = await new Promise<ReloadOutcome[]>((resolve) => {
      const entry = { outcomes: [] as ReloadOutcome[], waiting: workers.length, done: () => resolve(entry.outcomes) };
      pending.set(id, entry);
      for (const w of workers) w.send({ t: 'policy-engine:reload', id });
      // A worker that dies meanwhile never answers: do not wait for it forever.
      setTimeout(() => resolve(entry.outcomes), 30_000).unref();
    });
    pending.delete(id);
    // Workers still without a first good set logged their own outcome; the others reloaded.
    const reloads = outcomes.filter((o) => !o.firstLoad);
    const failed = reloads.find((o) => !o.ok);
    if (failed) {
      metrics.policyError();
      logger.error({ errors: failed.errors, revision: failed.revision, workers: reloads.length }, 'policy change rejected: the last good policies stay active');
    } else if (reloads.some((o) => o.changed)) {
      metrics.policyUpdate();
      logger.info({ revision: reloads[0]!.revision, policies: reloads[0]!.policies, workers: reloads.length }, 'policies reloaded');
    } else if (reloads[0]) {
      logger.debug({ revision: reloads[0].revision }, 'policy files touched; their content is unchanged');
    }
  });
  await watcher.start();

  const stop = async (exitCode: number, signal?: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const graceMs = shutdownGraceMs(config);
    logger.info({ signal, grace_ms: graceMs, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down: not ready; finishing requests in flight');
    watcher.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), graceMs + 5000);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            if (w.isConnected()) w.send({ t: 'policy-engine:shutdown', grace_ms: graceMs });
            else w.process.kill('SIGTERM');
          }),
      ),
    );
    await metricsServer?.close();
    limitHost?.close();
    logger.info('stopped');
    await log.flush();
    if (auditOut) await finishStream(auditOut.stream, auditOut.owned);
    await finishStream(logOut.stream, logOut.owned);
    process.exit(exitCode);
  };
  onShutdownSignals(logger, (signal) => stop(0, signal));
}
