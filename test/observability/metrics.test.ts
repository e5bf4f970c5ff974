// The metrics contract: the deployment guide's names and types exactly, the
// summaries' quantile labels, counters that count, and the engine's own
// counters read (not re-counted) at scrape time.

import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../../src/engine/engine.js';
import { METRIC_NAMES, Metrics } from '../../src/observability/metrics.js';
import { engineOf, policy } from '../engine/helpers.js';
import { parseExposition, valueOf } from './prom-text.js';

/** The guide's "Prometheus Metrics" list, with the type each must have. */
const GUIDE = {
  policy_engine_requests_total: 'counter',
  policy_engine_request_duration_seconds: 'summary',
  policy_engine_cache_hits_total: 'counter',
  policy_engine_cache_misses_total: 'counter',
  policy_engine_cache_size_bytes: 'gauge',
  policy_engine_cache_evictions_total: 'counter',
  policy_engine_policies_loaded: 'gauge',
  policy_engine_policy_updates_total: 'counter',
  policy_engine_policy_errors_total: 'counter',
  policy_engine_evaluation_duration_seconds: 'summary',
  policy_engine_sandbox_executions_total: 'counter',
  policy_engine_sandbox_timeouts_total: 'counter',
} as const;

function stats(over: Partial<{ hits: number; misses: number; evictions: number; bytes: number; policies: number; checks: number; refusals: number; storeErrors: number }> = {}): EngineStats {
  return {
    revision: 'r1',
    policies: over.policies ?? 3,
    rules: 9,
    evaluations: 100,
    cache: { size: 7, hits: over.hits ?? 0, misses: over.misses ?? 0, evictions: over.evictions ?? 0, expirations: 1, approxBytes: over.bytes ?? 0 },
    compilationCache: { size: 0, hits: 0, misses: 0 },
    reloads: 0,
    reloadFailures: 0,
    limits: { store: 'memory', checks: over.checks ?? 0, refusals: over.refusals ?? 0, storeErrors: over.storeErrors ?? 0, settlements: 0 },
  };
}

async function scrape(m: Metrics) {
  return parseExposition(await m.metricsText());
}

describe('metric names', () => {
  it('exposes every metric of the guide, with its type, from the start', async () => {
    const e = await scrape(new Metrics({ engineStats: () => stats() }));
    for (const [name, type] of Object.entries(GUIDE)) expect(e.types.get(name), name).toBe(type);
  });

  it('names ours apart from the guide and keeps every name policy_engine_-prefixed', () => {
    const names = Object.values(METRIC_NAMES);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^policy_engine_[a-z_]+$/);
    for (const n of Object.keys(GUIDE)) expect(names).toContain(n);
  });

  it('includes prom-client process metrics unless turned off', async () => {
    const e = await scrape(new Metrics());
    expect(e.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(e.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    const bare = await scrape(new Metrics({ processMetrics: false }));
    expect(bare.types.has('process_resident_memory_bytes')).toBe(false);
  });

  it('gives each Metrics its own registry, so two never collide', async () => {
    const a = new Metrics({ processMetrics: false });
    const b = new Metrics({ processMetrics: false });
    a.policyUpdate();
    expect(valueOf(await scrape(a), 'policy_engine_policy_updates_total')).toBe(1);
    expect(valueOf(await scrape(b), 'policy_engine_policy_updates_total')).toBe(0);
  });
});

describe('request metrics', () => {
  it('counts decisions by decision and transport; every combination starts at 0', async () => {
    const m = new Metrics({ processMetrics: false });
    m.recordRequest('allow', 'http', 0.001);
    m.recordRequest('allow', 'http', 0.002);
    m.recordRequest('deny', 'grpc', 0.003);
    m.countDecisions('throttle', 'grpc', 5);
    const e = await scrape(m);
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'allow', transport: 'http' })).toBe(2);
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'deny', transport: 'grpc' })).toBe(1);
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'throttle', transport: 'grpc' })).toBe(5);
    for (const d of ['allow', 'deny', 'throttle', 'warn', 'modify']) {
      for (const t of ['http', 'grpc']) expect(valueOf(e, 'policy_engine_requests_total', { decision: d, transport: t }), `${d}/${t}`).toBeTypeOf('number');
    }
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'warn', transport: 'http' })).toBe(0);
  });

  it('has summaries with the quantiles 0.5, 0.95 and 0.99, plus _sum and _count', async () => {
    const m = new Metrics({ processMetrics: false });
    for (let i = 1; i <= 100; i++) {
      m.recordRequest('allow', 'http', i / 1000);
      m.recordEvaluation(i / 1e6);
    }
    const e = await scrape(m);
    for (const name of ['policy_engine_request_duration_seconds', 'policy_engine_evaluation_duration_seconds']) {
      const q = e.samples.filter((s) => s.name === name).map((s) => s.labels.quantile);
      expect(q).toEqual(['0.5', '0.95', '0.99']);
      expect(valueOf(e, `${name}_count`)).toBe(100);
    }
    const p50 = valueOf(e, 'policy_engine_request_duration_seconds', { quantile: '0.5' })!;
    const p99 = valueOf(e, 'policy_engine_request_duration_seconds', { quantile: '0.99' })!;
    expect(p50).toBeCloseTo(0.05, 2);
    expect(p99).toBeGreaterThan(0.095);
    expect(valueOf(e, 'policy_engine_request_duration_seconds_sum')).toBeCloseTo(5.05, 6);
    expect(valueOf(e, 'policy_engine_evaluation_duration_seconds', { quantile: '0.5' })).toBeCloseTo(50e-6, 6);
    // The histograms see the same observations, bucketed.
    expect(valueOf(e, 'policy_engine_request_latency_seconds_count', { transport: 'http' })).toBe(100);
    expect(valueOf(e, 'policy_engine_request_latency_seconds_bucket', { transport: 'http', le: '0.01' })).toBe(10);
    expect(valueOf(e, 'policy_engine_evaluation_latency_seconds_bucket', { le: '0.0001' })).toBe(100);
  });

  it('counts request errors by transport and code', async () => {
    const m = new Metrics({ processMetrics: false });
    m.requestError('http', 'too_large');
    m.requestError('http', 'too_large');
    m.requestError('grpc', 'invalid_argument');
    m.requestError('grpc', 'not_found');
    m.requestError('http', 'unsupported_media_type');
    m.requestError('http', 'timeout');
    const e = await scrape(m);
    expect(valueOf(e, 'policy_engine_request_errors_total', { transport: 'http', code: 'too_large' })).toBe(2);
    expect(valueOf(e, 'policy_engine_request_errors_total', { transport: 'grpc', code: 'invalid_argument' })).toBe(1);
    expect(valueOf(e, 'policy_engine_request_errors_total', { transport: 'grpc', code: 'not_found' })).toBe(1);
    expect(valueOf(e, 'policy_engine_request_errors_total', { transport: 'http', code: 'unsupported_media_type' })).toBe(1);
    expect(valueOf(e, 'policy_engine_request_errors_total', { transport: 'http', code: 'timeout' })).toBe(1);
  });
});

describe('policy, sandbox and audit counters', () => {
  it('counts what it is told', async () => {
    const m = new Metrics({ processMetrics: false });
    m.policyUpdate();
    m.policyUpdate();
    m.policyError();
    m.policyError(2);
    m.sandboxExecution();
    m.sandboxExecution(true);
    m.auditWritten(10);
    m.auditDropped(3);
    m.auditDropped(0);
    const e = await scrape(m);
    expect(valueOf(e, 'policy_engine_policy_updates_total')).toBe(2);
    expect(valueOf(e, 'policy_engine_policy_errors_total')).toBe(3);
    expect(valueOf(e, 'policy_engine_sandbox_executions_total')).toBe(2);
    expect(valueOf(e, 'policy_engine_sandbox_timeouts_total')).toBe(1);
    expect(valueOf(e, 'policy_engine_audit_written_total')).toBe(10);
    expect(valueOf(e, 'policy_engine_audit_dropped_total')).toBe(3);
  });
});

describe('engine statistics', () => {
  it('reads the engine counters at scrape time, as they are (no double counting)', async () => {
    let s = stats({ hits: 5, misses: 2, evictions: 1, bytes: 4096, policies: 4, checks: 9, refusals: 2, storeErrors: 1 });
    let calls = 0;
    const m = new Metrics({ processMetrics: false, engineStats: () => (calls++, s) });
    let e = await scrape(m);
    expect(calls).toBe(1); // one snapshot per scrape, shared by every metric
    expect(valueOf(e, 'policy_engine_cache_hits_total')).toBe(5);
    expect(valueOf(e, 'policy_engine_cache_misses_total')).toBe(2);
    expect(valueOf(e, 'policy_engine_cache_evictions_total')).toBe(1);
    expect(valueOf(e, 'policy_engine_cache_expirations_total')).toBe(1);
    expect(valueOf(e, 'policy_engine_cache_size_bytes')).toBe(4096);
    expect(valueOf(e, 'policy_engine_cache_entries')).toBe(7);
    expect(valueOf(e, 'policy_engine_policies_loaded')).toBe(4);
    expect(valueOf(e, 'policy_engine_limit_checks_total', { store: 'memory' })).toBe(9);
    expect(valueOf(e, 'policy_engine_limit_refusals_total', { store: 'memory' })).toBe(2);
    expect(valueOf(e, 'policy_engine_limit_store_errors_total', { store: 'memory' })).toBe(1);

    s = stats({ hits: 8, misses: 2, bytes: 1024 });
    e = await scrape(m);
    await scrape(m);
    expect(calls).toBe(3);
    expect(valueOf(e, 'policy_engine_cache_hits_total')).toBe(8); // the engine's count, not 5 + 8
    expect(valueOf(e, 'policy_engine_cache_size_bytes')).toBe(1024);
  });

  it('reports zeros, and the policies count it was given, while there is no engine', async () => {
    const m = new Metrics({ processMetrics: false, engineStats: () => undefined });
    m.setPoliciesLoaded(6);
    const e = await scrape(m);
    expect(valueOf(e, 'policy_engine_cache_hits_total')).toBe(0);
    expect(valueOf(e, 'policy_engine_policies_loaded')).toBe(6);
    expect(e.samples.some((x) => x.name === 'policy_engine_limit_checks_total')).toBe(false);
  });

  it('follows a real engine: cache hits and misses, policies loaded', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "user.tier == 'free'", decision: 'deny' }] })], { cache: true });
    const m = new Metrics({ processMetrics: false, engineStats: () => engine.stats() });
    const ctx = { user: { tier: 'free' } };
    await engine.evaluate(ctx);
    await engine.evaluate(ctx);
    await engine.evaluate(ctx);
    const e = await scrape(m);
    expect(valueOf(e, 'policy_engine_cache_misses_total')).toBe(1);
    expect(valueOf(e, 'policy_engine_cache_hits_total')).toBe(2);
    expect(valueOf(e, 'policy_engine_cache_size_bytes')).toBeGreaterThan(0);
    expect(valueOf(e, 'policy_engine_policies_loaded')).toBe(1);
  });
});
