// Metrics of several worker processes, merged by the primary: counters and
// histogram buckets add up, policies_loaded does not, summary counts add up
// and their quantiles take the highest worker's value.

import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregateClusterMetrics, aggregateMetrics, type MetricsPeer } from '../../src/observability/cluster-metrics.js';
import { Metrics } from '../../src/observability/metrics.js';
import { parseExposition, valueOf } from './prom-text.js';

const WORKER = fileURLToPath(new URL('./metrics-worker.ts', import.meta.url));
const workers: Worker[] = [];
afterAll(() => {
  for (const w of workers) w.kill('SIGKILL');
});

function fork(env: Record<string, string>): Promise<Worker> {
  cluster.setupPrimary({ exec: WORKER, execArgv: ['--import', 'tsx'], silent: false });
  const w = cluster.fork(env);
  workers.push(w);
  return new Promise((resolve, reject) => {
    w.on('message', (m: { t?: string }) => m.t === 'ready' && resolve(w));
    w.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

describe('aggregateClusterMetrics with real cluster workers', () => {
  it('adds up counters, summary counts and buckets; keeps policies_loaded; takes the highest quantile', async () => {
    const [a, b] = await Promise.all([fork({ DECISION: 'allow', N: '30', SECONDS: '0.002' }), fork({ DECISION: 'deny', N: '10', SECONDS: '0.008' })]);
    const primary = new Metrics({ processMetrics: false });
    primary.policyError(); // the primary's own registry is merged too
    const e = parseExposition(await aggregateClusterMetrics([a, b, undefined], { local: [primary.registry] }));

    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'allow', transport: 'http' })).toBe(30);
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'deny', transport: 'http' })).toBe(10);
    expect(valueOf(e, 'policy_engine_policy_updates_total')).toBe(2);
    expect(valueOf(e, 'policy_engine_policy_errors_total')).toBe(1);
    expect(valueOf(e, 'policy_engine_policies_loaded')).toBe(4); // not 4 + 4 + 0
    expect(valueOf(e, 'policy_engine_request_duration_seconds_count')).toBe(40);
    expect(valueOf(e, 'policy_engine_request_duration_seconds_sum')).toBeCloseTo(30 * 0.002 + 10 * 0.008, 9);
    expect(valueOf(e, 'policy_engine_request_duration_seconds', { quantile: '0.99' })).toBeCloseTo(0.008, 9);
    expect(valueOf(e, 'policy_engine_evaluation_duration_seconds_count')).toBe(40);
    expect(valueOf(e, 'policy_engine_request_latency_seconds_bucket', { transport: 'http', le: '0.0025' })).toBe(30);
    expect(valueOf(e, 'policy_engine_request_latency_seconds_bucket', { transport: 'http', le: '0.01' })).toBe(40);
    expect(e.types.get('policy_engine_request_duration_seconds')).toBe('summary');
    expect(valueOf(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  }, 60_000);
});

describe('aggregateMetrics', () => {
  it('merges registries as the cluster does, without processes', async () => {
    const [x, y] = [new Metrics({ processMetrics: false }), new Metrics({ processMetrics: false })];
    x.recordRequest('allow', 'grpc', 0.001);
    y.recordRequest('allow', 'grpc', 0.003);
    y.recordRequest('warn', 'grpc', 0.003);
    x.setPoliciesLoaded(2);
    y.setPoliciesLoaded(3);
    const e = parseExposition(await aggregateMetrics([await x.registry.getMetricsAsJSON(), await y.registry.getMetricsAsJSON()]).metrics());
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'allow', transport: 'grpc' })).toBe(2);
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'warn', transport: 'grpc' })).toBe(1);
    expect(valueOf(e, 'policy_engine_policies_loaded')).toBe(3);
    expect(valueOf(e, 'policy_engine_request_duration_seconds_count')).toBe(3);
    expect(valueOf(e, 'policy_engine_request_duration_seconds', { quantile: '0.5' })).toBeCloseTo(0.003, 9);
  });
});

describe('a worker that does not answer', () => {
  it('fails the scrape after the timeout, naming the cause', async () => {
    const silent = Object.assign(new EventEmitter(), { send: () => true, connected: true }) as unknown as MetricsPeer;
    await expect(aggregateClusterMetrics([silent], { timeoutMs: 50 })).rejects.toThrow(/did not report its metrics within 50 ms/);
    expect((silent as unknown as EventEmitter).listenerCount('message')).toBe(0);
  });

  it('skips workers that are no longer connected', async () => {
    const gone = Object.assign(new EventEmitter(), { send: () => { throw new Error('closed'); }, isConnected: () => false }) as unknown as MetricsPeer;
    const text = await aggregateClusterMetrics([gone], { timeoutMs: 50 });
    expect(text.trim()).toBe('');
  });
});
