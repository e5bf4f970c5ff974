// One serving process: the engine, the gRPC and REST servers over one
// PolicyService, metrics, the audit trail and the logs, wired together. The
// single-process daemon runs one; with runtime.worker_threads > 1 every worker
// process runs one and the primary coordinates them (cluster.ts).
//
// Start-up order matters for the probes: the ports open first (so liveness
// answers at once), readiness turns on only when the policies have loaded,
// and a failed first load is retried until it succeeds — a daemon started
// before its policy volume is mounted becomes ready by itself.

import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { Auditor } from '../audit/auditor.js';
import type { DaemonConfig } from '../config/types.js';
import type { Decision } from '../engine/decision.js';
import { PolicyEngine, PolicyLoadError, type ReloadResult } from '../engine/engine.js';
import type { LimitStore } from '../limits/types.js';
import type { Diagnostic } from '../policy/types.js';
import { Metrics, type RequestErrorCode } from '../observability/metrics.js';
import { type DecisionInfo, type ErrorCode, PolicyService, type ServiceError, startServers, type RunningServers } from '../server/index.js';
import { engineBuilder } from './engine-from-config.js';

export interface ServingOptions {
  readonly config: DaemonConfig;
  readonly logger: Logger;
  /** Per-request log fields as configured (trace_id, user_id, metadata). */
  readonly requestFields: (context: unknown, traceId?: string) => Record<string, unknown>;
  /** Where limits keep their counts; undefined: the engine's own memory store. */
  readonly limitStore?: LimitStore;
  /** The audit trail's stream for output 'stdout' (a worker's goes to the primary). */
  readonly auditStdout?: Writable;
  /** Count policy updates and errors here (false in a worker: the primary counts each reload once). */
  readonly countReloads: boolean;
  /** How long a failed first load waits before trying again (default 2000 ms). */
  readonly retryMs?: number;
}

export interface ReloadOutcome {
  readonly ok: boolean;
  /** A new policy set is active (false when the files changed but what they say did not, e.g. `touch`). */
  readonly changed: boolean;
  /** This was the first load (or a failed attempt at it): it logged its outcome itself. */
  readonly firstLoad: boolean;
  readonly revision: string;
  /** Error diagnostics, formatted file:line:column: message. */
  readonly errors: string[];
  readonly policies: number;
}

export class ServingProcess {
  readonly metrics: Metrics;
  private engine: PolicyEngine | undefined;
  private servers: RunningServers | undefined;
  private readonly auditor: Auditor;
  private retryTimer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  /** The first load in progress: the retry timer and a reload (the watcher) must not build two engines at once. */
  private firstLoad: Promise<boolean> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: ServingOptions) {
    this.metrics = new Metrics({ engineStats: () => this.engine?.stats() });
    this.auditor = new Auditor(o.config.audit, {
      onWritten: (n) => this.metrics.auditWritten(n),
      onDropped: (n) => this.metrics.auditDropped(n),
      onError: (e) => o.logger.error({ err: e }, 'the audit trail cannot be written: later records are dropped and counted in policy_engine_audit_dropped_total'),
    }, { stdout: o.auditStdout });
  }

  get ready(): boolean {
    return this.engine !== undefined;
  }

  get ports(): { grpc: number; http: number | undefined } {
    return { grpc: this.servers?.grpcPort ?? 0, http: this.servers?.httpPort };
  }

  /**
   * Opens the ports and loads the policies (retrying until they load).
   * `loadBeforeListening`: a cluster worker makes its first attempt before it
   * listens, so the primary never hands it connections it can only answer
   * with 503 while its siblings are ready; if that attempt fails it listens
   * anyway (not ready, the probes see why) and keeps retrying. A single
   * process listens first, so liveness answers while policies load.
   */
  async start(options: { loadBeforeListening?: boolean } = {}): Promise<void> {
    const { config, logger } = this.o;
    const service = new PolicyService({
      engine: () => this.engine,
      limits: config.server.limits,
      hooks: { onDecision: (d, info) => this.decided(d, info), onError: (e, info) => this.failed(e, info.transport, info.operation) },
    });
    if (options.loadBeforeListening) await this.tryFirstLoad();
    this.servers = await startServers({ server: config.server, service, logger });
    if (this.engine) this.servers.setServing(true);
    this.loading = this.loadFirst();
  }

  /** Resolves when the first policy set is active (or the process is closing). */
  whenLoaded(): Promise<void> {
    return this.loading ?? Promise.resolve();
  }

  /** Re-reads the policy directory; a broken set keeps the active one. */
  async reload(): Promise<ReloadOutcome> {
    const engine = this.engine;
    if (!engine) {
      // Still waiting for a first good set: try now rather than at the next retry. An attempt
      // already under way may have read the files before this change: wait for it, then try
      // again if it failed (tryFirstLoad never runs two attempts at once).
      await this.firstLoad;
      await this.tryFirstLoad();
      const e = this.engine as PolicyEngine | undefined;
      return e ? { ...outcome({ ok: true, revision: e.revision, diagnostics: [] }, e, true), firstLoad: true } : { ok: false, changed: false, firstLoad: true, revision: '', errors: ['the policies have not loaded yet'], policies: 0 };
    }
    const before = engine.revision;
    const r = await engine.reload();
    const result = outcome(r, engine, r.ok && r.revision !== before);
    if (this.o.countReloads && (result.changed || !r.ok)) this.countReload(r.ok);
    return result;
  }

  /** Counts a reload (the primary of a cluster counts here for all its workers). */
  countReload(ok: boolean): void {
    if (ok) this.metrics.policyUpdate();
    else this.metrics.policyError();
  }

  /**
   * Graceful stop: readiness off, no new connections, requests in flight
   * finish (up to graceMs), then the audit trail is flushed and the engine
   * and its limit store closed.
   */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      if (this.retryTimer) clearTimeout(this.retryTimer);
      await this.servers?.close({ graceMs });
      await this.auditor.close();
      await this.engine?.close();
    })();
    return this.closing;
  }

  private async loadFirst(): Promise<void> {
    while (!this.engine && !this.closing) {
      if (await this.tryFirstLoad()) return;
      await new Promise<void>((resolve) => {
        this.retryTimer = setTimeout(resolve, this.o.retryMs ?? 2000);
      });
    }
  }

  /** One attempt at a time: a caller arriving during an attempt shares its outcome. */
  private tryFirstLoad(): Promise<boolean> {
    if (this.engine) return Promise.resolve(true);
    this.firstLoad ??= this.loadOnce().finally(() => {
      this.firstLoad = undefined;
    });
    return this.firstLoad;
  }

  private async loadOnce(): Promise<boolean> {
    if (this.engine) return true;
    const { config, logger } = this.o;
    const started = performance.now();
    try {
      const engine = await engineBuilder(config, this.o.limitStore).build();
      if (this.closing) {
        await engine.close();
        return false;
      }
      this.engine = engine;
      this.servers?.setServing(true);
      const s = engine.stats();
      logger.info({ revision: s.revision, policies: s.policies, rules: s.rules, ms: Math.round(performance.now() - started) }, `policies loaded from ${config.registry.local_policy_dir}: ready`);
      return true;
    } catch (e) {
      if (this.o.countReloads) this.metrics.policyError();
      const errors = e instanceof PolicyLoadError ? formatDiagnostics(e.diagnostics) : [e instanceof Error ? e.message : String(e)];
      logger.error({ errors, retry_ms: this.o.retryMs ?? 2000 }, `policies in ${config.registry.local_policy_dir} did not load: not ready, trying again`);
      return false;
    }
  }

  private decided(d: Decision, info: DecisionInfo): void {
    this.metrics.recordRequest(d.decision, info.transport, info.seconds);
    this.metrics.recordEvaluation(d.evaluation_time_us / 1e6);
    // The trace id goes into the record only when logging.include_trace_id allows it.
    const traceId = this.o.config.logging.include_trace_id ? info.trace_id : undefined;
    this.auditor.record(d, { context: info.context, transport: info.transport, dryRun: info.dry_run, traceId });
    const { logger } = this.o;
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ ...this.o.requestFields(info.context, info.trace_id), decision: d.decision, decision_id: d.decision_id, transport: info.transport, us: Math.round(info.seconds * 1e6) }, 'decision');
    }
  }

  private failed(e: ServiceError, transport: 'http' | 'grpc', operation: string): void {
    this.metrics.requestError(transport, METRIC_CODES[e.code]);
    const { logger } = this.o;
    if (e.code === 'internal') logger.error({ err: e.cause ?? e, transport, operation }, `internal error: ${e.message}`);
    else if (logger.isLevelEnabled('debug')) logger.debug({ transport, operation, code: e.code }, e.message);
  }
}

/**
 * The metric's `code` label for each API error code. A table over every ErrorCode,
 * so a new code does not compile until it is given a label here.
 */
export const METRIC_CODES: { readonly [C in ErrorCode]: RequestErrorCode } = {
  invalid_argument: 'invalid_argument',
  not_found: 'not_found',
  unsupported_media_type: 'unsupported_media_type',
  resource_exhausted: 'too_large',
  // Both are time running out: the request's work (504), or its arrival (408).
  deadline_exceeded: 'timeout',
  request_timeout: 'timeout',
  unavailable: 'unavailable',
  internal: 'internal',
};

function outcome(r: ReloadResult, engine: PolicyEngine, changed: boolean): ReloadOutcome {
  return { ok: r.ok, changed, firstLoad: false, revision: r.revision, errors: formatDiagnostics(r.diagnostics), policies: engine.stats().policies };
}

export function formatDiagnostics(ds: readonly Diagnostic[]): string[] {
  return ds.filter((d) => d.severity === 'error').map((d) => `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`);
}
