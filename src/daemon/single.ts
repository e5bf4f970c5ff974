// The daemon in one process (runtime.worker_threads: 1, the default): the
// serving process, the metrics port, the policy watcher and the signals.

import type { DaemonConfig } from '../config/types.js';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server.js';
import { letYoungGenerationGrow } from '../observability/young-generation.js';
import { PolicyWatcher } from '../sources/directory-watch.js';
import { limitStoreFor } from './engine-from-config.js';
import { metricsHost, orExit, ownerLogger, shutdownGraceMs } from './outputs.js';
import { ServingProcess } from './serving.js';
import { onShutdownSignals, onUncaughtErrors } from './signals.js';
import type { StartupNote } from './startup.js';

export async function runSingleProcess(config: DaemonConfig, notes: readonly StartupNote[]): Promise<void> {
  const log = orExit(() => ownerLogger(config));
  const { logger } = log;
  onUncaughtErrors(logger, () => log.flush());
  for (const n of notes) logger[n.level]({ key: n.path }, n.message);

  let serving: ServingProcess;
  try {
    serving = new ServingProcess({
      config,
      logger,
      requestFields: log.requestFields as (c: unknown, t?: string) => Record<string, unknown>,
      limitStore: limitStoreFor(config, () => undefined),
      countReloads: true,
    });
  } catch (e) {
    // The audit file cannot be written, the pricing file does not parse, ...
    logger.fatal({ err: e }, `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    await log.close();
    process.exit(1);
  }
  let metricsServer: MetricsServer | undefined;
  try {
    await serving.start();
    if (config.metrics.enabled && config.metrics.prometheus.enabled) {
      const p = config.metrics.prometheus;
      metricsServer = await startMetricsServer({ host: metricsHost(config), port: p.port, path: p.path }, () => serving.metrics.metricsText());
      logger.info({ address: `${metricsServer.host}:${metricsServer.port}`, path: p.path }, 'metrics server listening');
    }
  } catch (e) {
    logger.fatal({ err: e }, `cannot start: ${e instanceof Error ? e.message : String(e)}`);
    await serving.close(0);
    await metricsServer?.close();
    await log.close();
    process.exit(1);
  }
  const ports = serving.ports;
  // pino's own fields already carry the pid: a second `pid` key would make the JSON line ambiguous.
  logger.info({ grpc_port: ports.grpc, http_port: ports.http, metrics_port: metricsServer?.port, workers: 1 }, 'policy-engine daemon started');

  const watcher = new PolicyWatcher([config.registry.local_policy_dir], async () => {
    const r = await serving.reload();
    if (r.firstLoad) return; // it logged "ready", or why the policies still do not load
    if (r.ok && r.changed) logger.info({ revision: r.revision, policies: r.policies }, 'policies reloaded');
    else if (r.ok) logger.debug({ revision: r.revision }, 'policy files touched; their content is unchanged');
    else logger.error({ errors: r.errors, revision: r.revision }, 'policy change rejected: the last good policies stay active');
  });
  await watcher.start();
  // Start-up is over once the first policy set is active (or the process is closing).
  void serving.whenLoaded().then(letYoungGenerationGrow);

  onShutdownSignals(logger, async (signal) => {
    const graceMs = shutdownGraceMs(config);
    logger.info({ signal, grace_ms: graceMs }, 'shutting down: not ready; finishing requests in flight');
    watcher.close();
    await serving.close(graceMs);
    await metricsServer?.close();
    logger.info('stopped');
    await log.close();
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(0);
  });
}
