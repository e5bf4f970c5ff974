// `policy-engine daemon`: read and check the configuration, apply --listen,
// then run in one process or as a primary with worker processes.

import { availableParallelism } from 'node:os';
import { formatConfigProblem, isAddress, loadConfig, parseConfig, type ConfigResult, type DaemonConfig } from '../config/index.js';
import { workerCount } from './outputs.js';

export interface StartupNote {
  readonly level: 'info' | 'warn';
  readonly path: string;
  readonly message: string;
}

export interface DaemonArgs {
  /** The configuration file; without one, the defaults and the environment. */
  readonly config?: string;
  /** Overrides server.listen_address (the gRPC address), as the guide's --listen. */
  readonly listen?: string;
}

/** Checks the configuration; on problems prints them all and returns the exit code (1, or 2 for an unreadable file). */
export async function prepareDaemon(args: DaemonArgs): Promise<{ config: DaemonConfig; notes: StartupNote[] } | { exitCode: number }> {
  const r: ConfigResult = args.config ? await loadConfig(args.config, { env: process.env }) : parseConfig('', '(no --config: defaults)', { env: process.env });
  const unreadable = r.problems.find((p) => p.code === 'file-not-found' || p.code === 'read-error');
  if (unreadable) {
    console.error(`error: ${unreadable.message}${unreadable.hint ? ` (${unreadable.hint})` : ''}`);
    return { exitCode: 2 };
  }
  for (const p of r.problems) console.error(formatConfigProblem(p) + '\n');
  if (!r.ok) {
    console.error(`the daemon did not start: fix the configuration (policy-engine validate-config ${args.config ?? 'FILE'} checks it)`);
    return { exitCode: 1 };
  }
  let config = r.config;
  if (args.listen !== undefined) {
    if (!isAddress(args.listen)) {
      console.error(`error: --listen must be host:port, e.g. 0.0.0.0:50051; got '${args.listen}'`);
      return { exitCode: 2 };
    }
    config = { ...config, server: { ...config.server, listen_address: args.listen } };
    const clash = portClash(config);
    if (clash) {
      console.error(`error: --listen ${args.listen}: ${clash}`);
      return { exitCode: 2 };
    }
  }
  const notes: StartupNote[] = r.notes.map((n) => ({ level: n.kind === 'caution' ? 'warn' : 'info', path: n.path, message: n.message }));
  for (const e of r.fromEnv) notes.push({ level: 'info', path: e.key, message: `${e.key} set by ${e.variable}` });
  return { config, notes };
}

export async function runDaemon(args: DaemonArgs): Promise<number | undefined> {
  const prepared = await prepareDaemon(args);
  if ('exitCode' in prepared) return prepared.exitCode;
  const { config, notes } = prepared;
  const workers = workerCount(config, availableParallelism());
  if (workers <= 1) {
    const { runSingleProcess } = await import('./single.js');
    await runSingleProcess(config, notes);
  } else {
    const { runClusterPrimary } = await import('./cluster.js');
    await runClusterPrimary(config, notes, workers);
  }
  // The daemon runs until a signal; its handlers exit the process.
  return undefined;
}

/** The gRPC address from --listen must not take the port of the REST API or of the metrics. */
function portClash(config: DaemonConfig): string | undefined {
  const port = (address: string) => Number(/:(\d+)$/.exec(address)?.[1] ?? NaN);
  const grpc = port(config.server.listen_address);
  if (grpc === 0) return undefined;
  if (config.server.http.enabled && port(config.server.http.listen_address) === grpc) return `port ${grpc} is also server.http.listen_address (the REST API); choose another`;
  if (config.metrics.enabled && config.metrics.prometheus.enabled && config.metrics.prometheus.port === grpc) return `port ${grpc} is also metrics.prometheus.port; choose another`;
  return undefined;
}
