// The real daemon with runtime.worker_threads: 2 — a primary and two worker
// processes on the same ports. Requests spread over the workers; a rate
// limit with limits.store memory is exact across them (the primary keeps the
// counts); the metrics port adds up every worker's counters; a policy change
// reaches both workers and is counted once; SIGTERM with requests in flight
// ends with exit 0 and the audit trail (written by the primary) complete.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { decisionFromMessage, evaluateMessage, grpcPolicyClient, unaryCall } from '../server/clients.js';
import { type DaemonProcess, burstPost, metric, modelsPolicy, postJson, startDaemon, until } from './daemon-process.js';

const LIMIT = `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: rate }
spec:
  rules:
    - id: per-user
      when: "user.id == 'limited'"
      limit: { key: user.id, requests: 30, window: 1m }
      decision: throttle
      reason: 30 a minute
`;
const models = (reason: string) => modelsPolicy({ reason });

let d: DaemonProcess;
/** Every decision the daemon answered, by id. */
const answered = new Set<string>();

beforeAll(async () => {
  d = await startDaemon({
    policies: { 'rate.yaml': LIMIT, 'models.yaml': models('v1') },
    config: { runtime: { worker_threads: 2 }, limits: { store: 'memory' } },
    readyWorkers: 2,
  });
});
afterAll(async () => {
  await d?.dispose();
});

/** A POST /v1/evaluate on a connection of its own (so the primary hands each to the next worker). */
async function evaluate(context: object): Promise<any> {
  const r = await postJson(`${d.httpBase}/v1/evaluate`, { context });
  expect(r.status, r.text).toBe(200);
  const body = JSON.parse(r.text);
  answered.add(body.decision_id);
  return body;
}

/** The decision id's first 80 bits are random per process: they say which worker answered. */
const workerOf = (decisionId: string) => decisionId.slice(0, 23);

test('the primary and two workers started; the started line gives the ports', async () => {
  const [started] = d.logs('policy-engine daemon started');
  expect(started).toMatchObject({ role: 'primary', workers: 2, grpc_port: d.ports.grpc, http_port: d.ports.http, metrics_port: d.ports.metrics });
  const workers = new Set(d.logs(/^policies loaded from .*: ready$/).map((l) => l.pid));
  expect(workers.size).toBe(2);
  expect(workers.has(started!.pid)).toBe(false);
});

test('a rate limit of 30 a minute, 100 concurrent requests over both workers: exactly 30 allowed', async () => {
  const results = await Promise.all(Array.from({ length: 100 }, () => evaluate({ user: { id: 'limited' }, request: { model: 'gpt-4o' } })));
  const kinds = results.map((r) => r.decision);
  expect(kinds.filter((k) => k === 'allow')).toHaveLength(30);
  expect(kinds.filter((k) => k === 'throttle')).toHaveLength(70);
  for (const r of results.filter((x) => x.decision === 'throttle')) expect(r.obligations.retry_after_ms).toBeGreaterThan(0);
  // Both workers answered.
  const byWorker = new Map<string, number>();
  for (const r of results) byWorker.set(workerOf(r.decision_id), (byWorker.get(workerOf(r.decision_id)) ?? 0) + 1);
  expect(byWorker.size, JSON.stringify([...byWorker])).toBe(2);

  // gRPC too, over several connections; same limit (the 30 are used up), another user is allowed.
  const channels = Array.from({ length: 6 }, () => grpcPolicyClient(d.grpcAddress));
  const grpcResults = await Promise.all(
    channels.map((c, i) => unaryCall(c, 'Evaluate', evaluateMessage({ context: { user: { id: i % 2 ? 'limited' : `other-${i}` }, request: { model: 'gpt-4o' } } }))),
  );
  for (const c of channels) c.close();
  const grpcDecisions = grpcResults.map((r) => decisionFromMessage(r.decision));
  for (const x of grpcDecisions) answered.add(x.decision_id);
  expect(grpcDecisions.map((x) => x.decision)).toEqual(['allow', 'throttle', 'allow', 'throttle', 'allow', 'throttle']);

  // The metrics port adds up both workers: exactly the requests sent.
  const m = await d.metrics();
  expect(metric(m, 'policy_engine_requests_total', { transport: 'http', decision: 'allow' })).toBe(30);
  expect(metric(m, 'policy_engine_requests_total', { transport: 'http', decision: 'throttle' })).toBe(70);
  expect(metric(m, 'policy_engine_requests_total', { transport: 'grpc', decision: 'allow' })).toBe(3);
  expect(metric(m, 'policy_engine_requests_total', { transport: 'grpc', decision: 'throttle' })).toBe(3);
  expect(metric(m, 'policy_engine_requests_total')).toBe(106);
  expect(metric(m, 'policy_engine_request_duration_seconds_count')).toBe(106);
  expect(metric(m, 'policy_engine_request_latency_seconds_count')).toBe(106);
  // The limit applies to the user 'limited' only: 100 + 3 checks, in the primary's one store.
  expect(metric(m, 'policy_engine_limit_checks_total')).toBe(103);
  expect(metric(m, 'policy_engine_limit_refusals_total')).toBe(73);
  // Every worker loads the same set: the policies are counted once, not per worker.
  expect(metric(m, 'policy_engine_policies_loaded')).toBe(2);
  // Process metrics from the primary and the workers.
  expect(metric(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
});

test('a policy change reaches both workers within a second, and is counted once', async () => {
  const before = await d.metrics();
  const t0 = Date.now();
  d.writePolicy('models.yaml', models('v2'));
  // Ten requests in a row on new connections land on both workers: all see the change.
  await until(async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () => evaluate({ user: { id: 'x' }, request: { model: 'gpt-4' } })));
    return rs.every((r) => r.reason === 'v2') && new Set(rs.map((r) => workerOf(r.decision_id))).size === 2;
  }, 'both workers to use the new policy', 5000, 20);
  expect(Date.now() - t0).toBeLessThan(1500);
  const after = await d.metrics();
  expect(metric(after, 'policy_engine_policy_updates_total')! - metric(before, 'policy_engine_policy_updates_total')!).toBe(1);
  expect(d.logs('policies reloaded')).toHaveLength(1);
  expect(d.logs('policies reloaded')[0]).toMatchObject({ role: 'primary', workers: 2, policies: 2 });
});

test('SIGTERM with requests in flight: every answer complete, exit 0, the audit trail complete', async () => {
  // 100 requests, each on a new connection, then SIGTERM as soon as they are all sent.
  const inFlight = Array.from({ length: 100 }, (_, i) => burstPost(`${d.httpBase}/v1/evaluate`, { context: { user: { id: `burst-${i}` }, request: { model: 'gpt-4o' } } }));
  await Promise.all(inFlight.map((r) => r.sent));
  d.signal('SIGTERM');

  let refused = 0;
  for (const outcome of await Promise.allSettled(inFlight.map((r) => r.result))) {
    if (outcome.status === 'fulfilled') {
      expect(outcome.value.status, outcome.value.text).toBe(200);
      answered.add(JSON.parse(outcome.value.text).decision_id);
    } else {
      expect(String(outcome.reason)).toMatch(/ECONNRESET|ECONNREFUSED|socket hang up|EPIPE/);
      refused++;
    }
  }
  const exit = await d.exited;
  expect(exit, d.output).toEqual({ code: 0, signal: null });
  expect(d.logs('stopped')).toHaveLength(1);
  expect(d.logs(/stopped unexpectedly/)).toEqual([]);

  // One audit record per answered decision, from both workers, and nothing else.
  const records = d.auditRecords();
  expect(records.map((r) => r.decision_id).sort()).toEqual([...answered].sort());
  expect(new Set(records.map((r) => workerOf(r.decision_id))).size).toBe(2);
  expect(answered.size).toBeGreaterThanOrEqual(106 + 10);
  console.info(`cluster shutdown: ${100 - refused}/100 in flight answered, ${refused} never accepted`);
});
