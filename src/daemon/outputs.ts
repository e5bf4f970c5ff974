// Where the daemon's logs and audit trail go, for the process that owns the
// real destinations (the single process, or the primary of a cluster).

import type { Writable } from 'node:stream';
import type { AuditConfig, DaemonConfig, LoggingConfig } from '../config/types.js';
import { createLogger, type LoggerHandle } from '../observability/logger.js';
import { openRotatingFile } from '../observability/rotating-file.js';

/**
 * The logger of the owning process. When logs and the audit trail both go to
 * stdout they share process.stdout, so one stream orders both and no line is
 * split by the other.
 */
export function ownerLogger(config: DaemonConfig): LoggerHandle {
  const shareStdout = config.logging.output === 'stdout' && config.audit.enabled && config.audit.output === 'stdout';
  return createLogger(config.logging, shareStdout ? { stream: process.stdout } : {});
}

/** The log destination as a stream, for a primary that writes its workers' lines (and its own) there. */
export function logDestination(logging: LoggingConfig): { stream: Writable; owned: boolean } {
  if (logging.output === 'stdout') return { stream: process.stdout, owned: false };
  if (logging.output === 'stderr') return { stream: process.stderr, owned: false };
  return { stream: openRotatingFile({ path: logging.file.path, maxSizeMb: logging.file.rotate ? logging.file.max_size_mb : 1e9, maxFiles: logging.file.max_files }), owned: true };
}

/** The audit destination as a stream, for a primary that writes its workers' records there; undefined when audit is off. */
export function auditDestination(audit: AuditConfig): { stream: Writable; owned: boolean } | undefined {
  if (!audit.enabled) return undefined;
  if (audit.output === 'stdout') return { stream: process.stdout, owned: false };
  if (audit.output === 'file') return { stream: openRotatingFile({ path: audit.file.path, maxSizeMb: audit.file.max_size_mb, maxFiles: audit.file.max_files }), owned: true };
  // 'governance' is refused by the Auditor with its own message.
  return undefined;
}

/** Resolves once everything written to `stream` so far has been handed on; ends it when it is ours. */
export async function finishStream(stream: Writable, owned: boolean): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return;
  await new Promise<void>((resolve) => stream.write('', () => resolve()));
  if (owned) await new Promise<void>((resolve) => stream.end(() => resolve()));
}

/** The host the metrics port binds: the REST API's interface (or the gRPC one when REST is off). */
export function metricsHost(config: DaemonConfig): string {
  const address = config.server.http.enabled ? config.server.http.listen_address : config.server.listen_address;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):\d+$/.exec(address);
  return m?.[1] ?? (m?.[2] || '0.0.0.0');
}

/** How long in-flight requests may take to finish at shutdown: the request timeout bounds them, plus a margin. */
export function shutdownGraceMs(config: DaemonConfig): number {
  return Math.max(1, config.server.limits.request_timeout_seconds) * 1000 + 1000;
}

/** runtime.worker_threads: 0 means one per core this process may use. */
export function workerCount(config: DaemonConfig, cores: number): number {
  const n = config.runtime.worker_threads;
  return n === 0 ? Math.max(1, cores) : n;
}

/** Before there is a logger: a setup step that fails (a log file that cannot be written) ends the process with one clear line. */
export function orExit<T>(make: () => T): T {
  try {
    return make();
  } catch (e) {
    console.error(`policy-engine: cannot start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
