// Metrics of a daemon that runs several worker processes (node:cluster or
// child_process with IPC). Each worker keeps its own registry; the primary,
// which serves /metrics, asks every worker for its metrics as JSON and merges
// them, so Prometheus sees one process-independent set of series.
//
// How the daemon wires it:
//   worker:  serveMetricsToPrimary(metrics.registry)
//   primary: startMetricsServer(cfg, () => aggregateClusterMetrics(Object.values(cluster.workers ?? {}), { local: [primaryMetrics.registry] }))
//
// Why not prom-client's AggregatorRegistry.clusterMetrics(): it merges a
// Summary like any other metric, so with the default 'sum' the quantiles of
// two workers would be added (p99 = 2 ms + 2 ms = 4 ms). Here the quantile
// series take the highest worker's value — an upper bound of the true
// quantile of all requests, and close to it when the load is spread evenly —
// while _sum and _count add up exactly. (For exact percentiles across
// processes use the `_latency_seconds` histograms.) The rest is
// AggregatorRegistry.aggregate, with each metric's own aggregator: counters
// sum, policies_loaded takes the max, prom-client's process metrics use theirs.

import { AggregatorRegistry, type Registry } from 'prom-client';

/** What registry.getMetricsAsJSON() returns: one process's metrics. */
export type MetricsJSON = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type MetricJSON = MetricsJSON[number];

/** The primary's end of a worker: a cluster Worker or a ChildProcess with IPC. */
export interface MetricsPeer {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  send(message: unknown): boolean;
  readonly connected?: boolean;
  isConnected?(): boolean;
}

const REQUEST = 'policy-engine:metrics';
const REPLY = 'policy-engine:metrics-reply';

interface Reply {
  readonly t: typeof REPLY;
  readonly id: number;
  readonly metrics?: MetricsJSON;
  readonly error?: string;
}

/** Worker side: answers the primary's requests with this registry's metrics. Returns a function that stops answering. */
export function serveMetricsToPrimary(registry: Registry, proc: NodeJS.Process = process): () => void {
  if (typeof proc.send !== 'function') throw new Error('serveMetricsToPrimary needs an IPC channel to the primary process (a cluster worker)');
  // The primary may be gone by the time the metrics are ready: nothing to answer then.
  // (The callback keeps a closed channel from being emitted as an 'error' that would end the worker.)
  const send = (reply: Reply) => {
    if (proc.connected) proc.send!(reply, undefined, undefined, () => undefined);
  };
  const listener = (m: unknown) => {
    if (!isMessage(m, REQUEST)) return;
    registry.getMetricsAsJSON().then(
      (metrics) => send({ t: REPLY, id: m.id, metrics } satisfies Reply),
      (e: unknown) => send({ t: REPLY, id: m.id, error: e instanceof Error ? e.message : String(e) } satisfies Reply),
    );
  };
  proc.on('message', listener);
  return () => void proc.off('message', listener);
}

let nextId = 0;

export interface ClusterMetricsOptions {
  /** Registries of the primary itself, merged with the workers'. */
  readonly local?: readonly Registry[];
  /** A worker that has not answered by then fails the scrape (default 5000 ms, as prom-client's). */
  readonly timeoutMs?: number;
}

/**
 * Primary side: the Prometheus text of every connected worker's metrics, merged.
 * A worker that does not answer in time fails the scrape (Prometheus records
 * `up == 0`) rather than silently serving counters that lack one worker's share.
 */
export async function aggregateClusterMetrics(workers: Iterable<MetricsPeer | undefined>, o: ClusterMetricsOptions = {}): Promise<string> {
  const id = nextId++;
  const live = [...workers].filter((w): w is MetricsPeer => w !== undefined && (w.connected ?? w.isConnected?.() ?? true));
  const fromWorkers = live.map((w) => askWorker(w, id, o.timeoutMs ?? 5000));
  const fromLocal = (o.local ?? []).map((r) => r.getMetricsAsJSON());
  const all = await Promise.all([...fromLocal, ...fromWorkers]);
  return aggregateMetrics(all).metrics();
}

function askWorker(w: MetricsPeer, id: number, timeoutMs: number): Promise<MetricsJSON> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`a worker did not report its metrics within ${timeoutMs} ms`)), timeoutMs);
    const listener = (m: unknown) => {
      if (!isMessage(m, REPLY) || m.id !== id) return;
      const r = m as Reply;
      if (r.error !== undefined || !r.metrics) finish(new Error(`a worker failed to report its metrics: ${r.error ?? 'no metrics'}`));
      else finish(undefined, r.metrics);
    };
    function finish(err: Error | undefined, metrics?: MetricsJSON) {
      clearTimeout(timer);
      w.off('message', listener);
      if (err) reject(err);
      else resolve(metrics!);
    }
    w.on('message', listener);
    try {
      w.send({ t: REQUEST, id });
    } catch (e) {
      finish(new Error(`cannot ask a worker for its metrics: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
}

/** Merges several processes' metrics into one registry (see the file comment for how each kind adds up). */
export function aggregateMetrics(perProcess: readonly MetricsJSON[]): Registry {
  const others: MetricJSON[][] = [];
  const summaries = new Map<string, MetricJSON[]>();
  for (const metrics of perProcess) {
    others.push(metrics.filter((m) => {
      if (String(m.type) !== 'summary') return true;
      summaries.set(m.name, [...(summaries.get(m.name) ?? []), m]);
      return false;
    }));
  }
  // Each summary now appears once, already merged, so the generic pass leaves it as is.
  return AggregatorRegistry.aggregate([...others, [...summaries.values()].map(mergeSummary)]);
}

function mergeSummary(parts: readonly MetricJSON[]): MetricJSON {
  const merged = new Map<string, { metricName?: string; labels: Record<string, string | number | undefined>; value: number }>();
  for (const part of parts) {
    for (const v of part.values as { metricName?: string; labels: Record<string, string | number | undefined>; value: number }[]) {
      const key = `${v.metricName ?? ''}${JSON.stringify(Object.entries(v.labels).sort())}`;
      const seen = merged.get(key);
      if (!seen) merged.set(key, { ...v, labels: { ...v.labels } });
      else if (v.metricName?.endsWith('_sum') || v.metricName?.endsWith('_count')) seen.value += v.value;
      else seen.value = Math.max(seen.value, v.value); // a quantile
    }
  }
  return { ...parts[0], aggregator: 'sum', values: [...merged.values()] } as MetricJSON;
}

function isMessage(m: unknown, t: string): m is { t: string; id: number } {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === t && typeof (m as { id?: unknown }).id === 'number';
}
