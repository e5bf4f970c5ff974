// Every Prometheus metric the daemon exposes, named in this one file.
//
// The names are a contract: the deployment guide lists them (and its Grafana
// dashboard and alerts query them), so the guide's names are used verbatim.
// Ours are added under names that cannot be mistaken for the guide's.
//
// Counters that the engine already keeps (decision cache, limit store) are not
// incremented here: they are read from `engine.stats()` when Prometheus
// scrapes, so there is one source of truth and nothing is counted twice.

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { WindowSummary } from './window-summary.js';
import type { EngineStats } from '../engine/engine.js';
import type { DecisionKind } from '../policy/types.js';

export type Transport = 'http' | 'grpc';

/** Why a request produced no decision (a small fixed set: label values must not be unbounded). */
export type RequestErrorCode = 'invalid_argument' | 'not_found' | 'unsupported_media_type' | 'too_large' | 'timeout' | 'unavailable' | 'internal';

export const METRIC_NAMES = {
  // The guide's names.
  requests: 'policy_engine_requests_total',
  requestDuration: 'policy_engine_request_duration_seconds',
  evaluationDuration: 'policy_engine_evaluation_duration_seconds',
  cacheHits: 'policy_engine_cache_hits_total',
  cacheMisses: 'policy_engine_cache_misses_total',
  cacheSizeBytes: 'policy_engine_cache_size_bytes',
  cacheEvictions: 'policy_engine_cache_evictions_total',
  policiesLoaded: 'policy_engine_policies_loaded',
  policyUpdates: 'policy_engine_policy_updates_total',
  policyErrors: 'policy_engine_policy_errors_total',
  sandboxExecutions: 'policy_engine_sandbox_executions_total',
  sandboxTimeouts: 'policy_engine_sandbox_timeouts_total',
  // Ours.
  requestErrors: 'policy_engine_request_errors_total',
  requestLatency: 'policy_engine_request_latency_seconds',
  evaluationLatency: 'policy_engine_evaluation_latency_seconds',
  cacheEntries: 'policy_engine_cache_entries',
  cacheExpirations: 'policy_engine_cache_expirations_total',
  limitChecks: 'policy_engine_limit_checks_total',
  limitRefusals: 'policy_engine_limit_refusals_total',
  limitStoreErrors: 'policy_engine_limit_store_errors_total',
  auditWritten: 'policy_engine_audit_written_total',
  auditDropped: 'policy_engine_audit_dropped_total',
} as const;

export const DECISIONS: readonly DecisionKind[] = ['allow', 'deny', 'throttle', 'warn', 'modify'];
export const TRANSPORTS: readonly Transport[] = ['http', 'grpc'];

/** The quantiles the guide shows for both duration summaries. */
export const QUANTILES = [0.5, 0.95, 0.99] as const;

/** Histogram buckets in seconds: decisions take tens of microseconds, requests well under a millisecond. */
export const LATENCY_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface MetricsOptions {
  /** Default: a new registry of its own (never prom-client's global one, so tests and embedders stay isolated). */
  readonly registry?: Registry;
  /** The engine's counters, read at scrape time; undefined while there is no engine yet. */
  readonly engineStats?: () => EngineStats | undefined;
  /** prom-client's process_* and nodejs_* metrics (default true). */
  readonly processMetrics?: boolean;
  /** The summaries' sliding window (default 60 s, in 3 age buckets). */
  readonly summaryMaxAgeSeconds?: number;
  readonly summaryAgeBuckets?: number;
}

/**
 * Observations recorded per request wait here, a few hundred at most, and
 * reach the metrics in one pass: before every read of the metrics (each
 * metric's collect() runs first), at the end of the event-loop turn, or when
 * the batch is full. The metrics then see the same observations in the same
 * order, so counters, sums and buckets are exactly what one call per
 * observation gives; a summary's sliding window receives them at most one
 * loop turn late. prom-client's work per observation (label objects and
 * hashing, validation) costs more spread between requests, with cold caches,
 * than in a row; the summaries are WindowSummary (window-summary.ts), whose
 * observation is a few nanoseconds where prom-client's Summary took ~2.3 µs.
 */
const BATCH = 512;
const enum Pending {
  /** recordRequest: a decision and its request's duration. */
  Request = 0,
  /** observeRequest: a request's duration only. */
  Duration = 1,
  /** recordEvaluation. */
  Evaluation = 2,
}

export class Metrics {
  readonly registry: Registry;
  private readonly engineStats: () => EngineStats | undefined;
  private snapshot: EngineStats | undefined | null = null;
  private policiesLoadedFallback = 0;

  private readonly requests: Counter<'decision' | 'transport'>;
  private readonly requestErrors: Counter<'transport' | 'code'>;
  private readonly requestDuration: WindowSummary;
  private readonly evaluationDuration: WindowSummary;
  private readonly requestLatency: Histogram<'transport'>;
  private readonly evaluationLatency: Histogram;
  private readonly policyUpdates: Counter;
  private readonly policyErrors: Counter;
  private readonly sandboxExecutions: Counter;
  private readonly sandboxTimeouts: Counter;
  private readonly audited: Counter;
  private readonly auditDrops: Counter;

  private readonly pendingKind = new Uint8Array(BATCH);
  /** Request: decision index * TRANSPORTS.length + transport index; Duration: transport index. */
  private readonly pendingSeries = new Uint8Array(BATCH);
  private readonly pendingValue = new Float64Array(BATCH);
  private pending = 0;
  private flushScheduled = false;
  private readonly flushSoon = () => {
    this.flushScheduled = false;
    this.flush();
  };
  /** Decisions per decision × transport in the batch being flushed. */
  private readonly decisionCounts = new Float64Array(DECISIONS.length * TRANSPORTS.length);

  constructor(o: MetricsOptions = {}) {
    this.registry = o.registry ?? new Registry();
    const registers = [this.registry];
    this.engineStats = o.engineStats ?? (() => undefined);
    const N = METRIC_NAMES;

    // The batched observations reach these metrics before any of them is read.
    const collect = () => this.flush();
    this.requests = new Counter({ name: N.requests, help: 'Decisions returned, by decision and transport.', labelNames: ['decision', 'transport'], registers, collect });
    this.requestErrors = new Counter({ name: N.requestErrors, help: 'Requests that returned no decision (bad input, too large, timeout, ...).', labelNames: ['transport', 'code'], registers });
    // Summaries, because the guide's series carry quantile labels, which only a
    // Summary exposes. Their weaknesses are real: quantiles cannot be aggregated
    // across replicas or worker processes (see cluster-metrics.ts), and a Summary
    // without a window reports quantiles over the process's whole life, so a
    // sliding window (maxAgeSeconds/ageBuckets) keeps them current. The
    // `_latency_seconds` histograms below fill the gap: buckets add up exactly
    // across workers and replicas (histogram_quantile over sum by (le)).
    // WindowSummary is prom-client's windowed Summary, as exposed, without its
    // cost per observation (three t-digest insertions: see window-summary.ts).
    const window = { percentiles: [...QUANTILES], maxAgeSeconds: o.summaryMaxAgeSeconds ?? 60, ageBuckets: o.summaryAgeBuckets ?? 3 };
    this.requestDuration = new WindowSummary({ name: N.requestDuration, help: 'Request duration in seconds (sliding window).', ...window, registers, collect });
    this.evaluationDuration = new WindowSummary({ name: N.evaluationDuration, help: 'Policy evaluation time in seconds (sliding window).', ...window, registers, collect });
    this.requestLatency = new Histogram({ name: N.requestLatency, help: 'Request duration in seconds, by transport (histogram: aggregates across processes).', labelNames: ['transport'], buckets: LATENCY_BUCKETS, registers, collect });
    this.evaluationLatency = new Histogram({ name: N.evaluationLatency, help: 'Policy evaluation time in seconds (histogram: aggregates across processes).', buckets: LATENCY_BUCKETS, registers, collect });

    this.policyUpdates = new Counter({ name: N.policyUpdates, help: 'Policy sets activated after the first (hot reloads, registry syncs).', registers });
    this.policyErrors = new Counter({ name: N.policyErrors, help: 'Policy loads or reloads rejected (the last good set stayed active).', registers });
    // A worker reports the highest count it saw, not a sum: every worker loads the same set.
    new Gauge({ name: N.policiesLoaded, help: 'Policies in the active set.', aggregator: 'max', registers, collect: this.fromEngine((g: Gauge, s) => g.set(s ? s.policies : this.policiesLoadedFallback)) });
    this.sandboxExecutions = new Counter({ name: N.sandboxExecutions, help: 'Custom functions run in the sandbox.', registers });
    this.sandboxTimeouts = new Counter({ name: N.sandboxTimeouts, help: 'Sandboxed functions stopped at max_execution_ms.', registers });

    const engineCounter = (name: string, help: string, read: (s: EngineStats) => number) =>
      new Counter({ name, help, registers, collect: this.fromEngine((c: Counter, s) => setCounter(c, s ? read(s) : 0)) });
    engineCounter(N.cacheHits, 'Decision cache hits.', (s) => s.cache.hits);
    engineCounter(N.cacheMisses, 'Decision cache misses.', (s) => s.cache.misses);
    engineCounter(N.cacheEvictions, 'Decisions evicted from the cache to make room.', (s) => s.cache.evictions);
    engineCounter(N.cacheExpirations, 'Cached decisions dropped because their TTL passed.', (s) => s.cache.expirations);
    new Gauge({ name: N.cacheSizeBytes, help: 'Approximate bytes held by the decision cache.', registers, collect: this.fromEngine((g: Gauge, s) => g.set(s ? s.cache.approxBytes : 0)) });
    new Gauge({ name: N.cacheEntries, help: 'Decisions in the cache.', registers, collect: this.fromEngine((g: Gauge, s) => g.set(s ? s.cache.size : 0)) });

    const limitCounter = (name: string, help: string, read: (l: EngineStats['limits']) => number) =>
      new Counter({
        name, help, labelNames: ['store'], registers,
        collect: this.fromEngine((c: Counter<'store'>, s) => {
          c.reset();
          if (s) c.inc({ store: s.limits.store }, read(s.limits));
        }),
      });
    limitCounter(N.limitChecks, 'Calls to the limit store.', (l) => l.checks);
    limitCounter(N.limitRefusals, 'Calls in which a limit or budget refused the request.', (l) => l.refusals);
    limitCounter(N.limitStoreErrors, 'Calls that failed because the limit store could not be reached (fail mode applied).', (l) => l.storeErrors);

    this.audited = new Counter({ name: N.auditWritten, help: 'Audit records written to the audit sink.', registers });
    this.auditDrops = new Counter({ name: N.auditDropped, help: 'Audit records lost: buffer full, sink failed, or recorded after shutdown.', registers });

    // Every label combination exists from the start, so rate() and absent() work before the first request.
    for (const d of DECISIONS) for (const t of TRANSPORTS) this.requests.inc({ decision: d, transport: t }, 0);
    for (const t of TRANSPORTS) this.requestLatency.zero({ transport: t });

    if (o.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** One decision returned and its request's duration. */
  recordRequest(decision: DecisionKind, transport: Transport, seconds: number): void {
    const d = decisionIndex(decision);
    const t = transportIndex(transport);
    if (d < 0 || t < 0 || !Number.isFinite(seconds)) {
      // Not one of the known series, or a value prom-client refuses (with its own error): directly, in order.
      this.flush();
      this.requests.inc({ decision, transport });
      this.observeRequestNow(transport, seconds);
      return;
    }
    this.add(Pending.Request, d * TRANSPORTS.length + t, seconds);
  }

  /** Decisions without a duration each: a batch counts every decision, then observeRequest() once. */
  countDecisions(decision: DecisionKind, transport: Transport, n = 1): void {
    this.flush();
    this.requests.inc({ decision, transport }, n);
  }

  observeRequest(transport: Transport, seconds: number): void {
    const t = transportIndex(transport);
    if (t < 0 || !Number.isFinite(seconds)) {
      this.flush();
      this.observeRequestNow(transport, seconds);
      return;
    }
    this.add(Pending.Duration, t, seconds);
  }

  private observeRequestNow(transport: Transport, seconds: number): void {
    this.requestDuration.observe(seconds);
    this.requestLatency.observe({ transport }, seconds);
  }

  requestError(transport: Transport, code: RequestErrorCode): void {
    this.requestErrors.inc({ transport, code });
  }

  /** Time spent in the engine for one decision (Decision.evaluation_time_us / 1e6). */
  recordEvaluation(seconds: number): void {
    if (!Number.isFinite(seconds)) {
      this.flush();
      this.evaluationDuration.observe(seconds); // throws prom-client's TypeError, as before
      this.evaluationLatency.observe(seconds);
      return;
    }
    this.add(Pending.Evaluation, 0, seconds);
  }

  private add(kind: Pending, series: number, value: number): void {
    const i = this.pending++;
    this.pendingKind[i] = kind;
    this.pendingSeries[i] = series;
    this.pendingValue[i] = value;
    if (this.pending === BATCH) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  /** Hands the batched observations to prom-client, in the order they were made. */
  private flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    const counts = this.decisionCounts;
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const v = this.pendingValue[i]!;
      switch (this.pendingKind[i] as Pending) {
        case Pending.Request: {
          const s = this.pendingSeries[i]!;
          counts[s]!++;
          this.requestDuration.observe(v, now);
          this.requestLatency.observe(TRANSPORT_LABELS[s % TRANSPORTS.length]!, v);
          break;
        }
        case Pending.Duration:
          this.requestDuration.observe(v, now);
          this.requestLatency.observe(TRANSPORT_LABELS[this.pendingSeries[i]!]!, v);
          break;
        case Pending.Evaluation:
          this.evaluationDuration.observe(v, now);
          this.evaluationLatency.observe(v);
          break;
      }
    }
    for (let s = 0; s < counts.length; s++) {
      if (counts[s] === 0) continue;
      this.requests.inc(DECISION_LABELS[s]!, counts[s]!);
      counts[s] = 0;
    }
  }

  policyUpdate(): void {
    this.policyUpdates.inc();
  }

  policyError(n = 1): void {
    this.policyErrors.inc(n);
  }

  /** Only used while engineStats() returns undefined; the engine's own count wins otherwise. */
  setPoliciesLoaded(n: number): void {
    this.policiesLoadedFallback = n;
  }

  sandboxExecution(timedOut = false): void {
    this.sandboxExecutions.inc();
    if (timedOut) this.sandboxTimeouts.inc();
  }

  auditWritten(n: number): void {
    if (n > 0) this.audited.inc(n);
  }

  auditDropped(n: number): void {
    if (n > 0) this.auditDrops.inc(n);
  }

  /** The Prometheus text exposition of this process. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * A collect() callback given one engine snapshot per scrape: prom-client calls
   * every metric's collect() in the same synchronous pass, so hits and misses
   * (say) come from the same moment, and stats() runs once, not once per metric.
   */
  private fromEngine<M>(apply: (metric: M, s: EngineStats | undefined) => void): (this: M) => void {
    const self = this;
    return function (this: M) {
      if (self.snapshot === null) {
        self.snapshot = self.engineStats();
        queueMicrotask(() => (self.snapshot = null));
      }
      apply(this, self.snapshot);
    };
  }
}

function decisionIndex(d: DecisionKind): number {
  switch (d) {
    case 'allow':
      return 0;
    case 'deny':
      return 1;
    case 'throttle':
      return 2;
    case 'warn':
      return 3;
    case 'modify':
      return 4;
    default:
      return -1;
  }
}

function transportIndex(t: Transport): number {
  return t === 'http' ? 0 : t === 'grpc' ? 1 : -1;
}

const TRANSPORT_LABELS = TRANSPORTS.map((transport) => Object.freeze({ transport }));
const DECISION_LABELS = DECISIONS.flatMap((decision) => TRANSPORTS.map((transport) => Object.freeze({ decision, transport })));

/** Counters only go up in prom-client's API; an engine count is copied as is (a new engine reads as a counter reset). */
function setCounter(c: Counter, value: number): void {
  c.reset();
  if (value > 0) c.inc(value);
}
