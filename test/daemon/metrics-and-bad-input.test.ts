// One real daemon, checked from two sides.
//
// Metrics (metrics.prometheus.port): the deployment guide's metric names with
// their types and labels, ours, and prom-client's process metrics — and counts
// that match the requests sent, decision by decision and transport by
// transport. The daemon logs JSON to stdout at level debug: its lines are
// checked too.
//
// Bad input (server.limits.max_request_size_mb: 0.01, i.e. 10,485 bytes): REST
// 413 / gRPC RESOURCE_EXHAUSTED for bodies over the limit; 400 /
// INVALID_ARGUMENT with a message naming what is wrong for malformed JSON and
// wrong fields; 415 for a body that is not JSON; 404 / NOT_FOUND for an unknown
// policy; 408 for a body that never finishes arriving. Afterwards the daemon is
// still alive and ready, and its error counters match what was sent, code by code.

import { status } from '@grpc/grpc-js';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decisionFromMessage, evaluateMessage, rawEvaluateClient, grpcPolicyClient, unaryCall } from '../server/clients.js';
import { type DaemonProcess, type Sample, metric, parseMetrics, request, startDaemon, until } from './daemon-process.js';

const POLICIES = `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: models }
spec:
  rules:
    - id: banned
      when: "request.model == 'bad'"
      decision: deny
    - id: watched
      when: "request.model == 'warn'"
      decision: warn
    - id: clamped
      when: "request.model == 'mod'"
      decision: modify
      modify: [{ clamp: request.max_tokens, max: 100 }]
---
apiVersion: policy.llm/v1
kind: Policy
metadata: { name: traffic }
spec:
  rules:
    - id: slow-down
      when: "request.model == 'slow'"
      decision: throttle
`;

const GUIDE: Record<string, string> = {
  policy_engine_requests_total: 'counter',
  policy_engine_request_duration_seconds: 'summary',
  policy_engine_evaluation_duration_seconds: 'summary',
  policy_engine_cache_hits_total: 'counter',
  policy_engine_cache_misses_total: 'counter',
  policy_engine_cache_size_bytes: 'gauge',
  policy_engine_cache_evictions_total: 'counter',
  policy_engine_policies_loaded: 'gauge',
  policy_engine_policy_updates_total: 'counter',
  policy_engine_policy_errors_total: 'counter',
  policy_engine_sandbox_executions_total: 'counter',
  policy_engine_sandbox_timeouts_total: 'counter',
};
const OURS: Record<string, string> = {
  policy_engine_request_latency_seconds: 'histogram',
  policy_engine_evaluation_latency_seconds: 'histogram',
  policy_engine_request_errors_total: 'counter',
  policy_engine_cache_entries: 'gauge',
  policy_engine_cache_expirations_total: 'counter',
  policy_engine_audit_written_total: 'counter',
  policy_engine_audit_dropped_total: 'counter',
};

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemon({
    policies: { 'policies.yaml': POLICIES },
    config: {
      // A small cache, so that evictions happen.
      cache: { decision_cache: { capacity: 3 } },
      logging: { format: 'json', output: 'stdout', level: 'debug', include_metadata: false },
      server: { limits: { max_request_size_mb: 0.01, max_batch_size: 3, request_timeout_seconds: 1 } },
    },
  });
});
afterAll(async () => {
  await d?.dispose();
});

const ctx = (model: string) => ({ request: { model, max_tokens: 500, prompt: 'a secret prompt that must never be logged' }, user: { id: 'u-42' }, metadata: { request_id: 'req-7' } });
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('the guide names with their types, ours, process metrics; counts equal to the requests sent', async () => {
  // Before any request: every decision/transport pair exists at 0.
  const initial = await d.metrics();
  for (const decision of ['allow', 'deny', 'throttle', 'warn', 'modify']) {
    for (const transport of ['http', 'grpc']) expect(metric(initial, 'policy_engine_requests_total', { decision, transport }), `${decision}/${transport}`).toBe(0);
  }

  // The requests, and what they answered.
  const decisions: { decision: string; cached: boolean; transport: 'http' | 'grpc' }[] = [];
  const models = ['ok1', 'ok1', 'ok1', 'bad', 'bad', 'warn', 'mod', 'slow', 'ok2', 'ok3', 'ok4', 'ok1', 'mod'];
  for (const model of models) {
    const r = await d.post('/v1/evaluate', { context: ctx(model) });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    decisions.push({ decision: body.decision, cached: body.cached, transport: 'http' });
  }
  const batch = await d.post('/v1/evaluate/batch', { items: ['ok5', 'bad', 'warn'].map((m) => ({ context: ctx(m) })) });
  expect(batch.status).toBe(200);
  for (const x of JSON.parse(batch.text).decisions) decisions.push({ decision: x.decision, cached: x.cached, transport: 'http' });
  const client = grpcPolicyClient(d.grpcAddress);
  for (const model of ['ok1', 'slow', 'bad', 'bad']) {
    const x = decisionFromMessage((await unaryCall(client, 'Evaluate', evaluateMessage({ context: ctx(model) }))).decision);
    decisions.push({ decision: x.decision, cached: x.cached, transport: 'grpc' });
  }
  client.close();
  // One request that returns no decision.
  expect((await d.post('/v1/evaluate', { context: 'nope' })).status).toBe(400);

  // Sanity of what was sent: every kind of decision, some from the cache.
  expect(new Set(decisions.map((x) => x.decision))).toEqual(new Set(['allow', 'deny', 'throttle', 'warn', 'modify']));
  const hits = decisions.filter((x) => x.cached).length;
  expect(hits).toBeGreaterThan(0);
  const total = decisions.length;
  expect(total).toBe(models.length + 3 + 4);

  // The audit trail is written in the background: wait until every decision is in.
  await until(async () => metric(await d.metrics(), 'policy_engine_audit_written_total') === total, 'every decision audited', 5000);

  const res = await request(d.metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  const types = new Map([...res.text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const m: Sample[] = parseMetrics(res.text);

  // The guide's names and ours, with their types.
  for (const [name, type] of Object.entries({ ...GUIDE, ...OURS })) expect(types.get(name), name).toBe(type);
  // Process metrics.
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_total_bytes']) {
    expect(metric(m, name), name).toBeGreaterThan(0);
  }

  // Requests, by decision and transport.
  for (const decision of ['allow', 'deny', 'throttle', 'warn', 'modify']) {
    for (const transport of ['http', 'grpc'] as const) {
      const sent = decisions.filter((x) => x.decision === decision && x.transport === transport).length;
      expect(metric(m, 'policy_engine_requests_total', { decision, transport }), `${decision}/${transport}`).toBe(sent);
    }
  }
  expect(metric(m, 'policy_engine_requests_total')).toBe(total);
  expect(metric(m, 'policy_engine_request_errors_total', { transport: 'http', code: 'invalid_argument' })).toBe(1);

  // Durations: one observation per decision; the guide's quantiles.
  for (const name of ['policy_engine_request_duration_seconds', 'policy_engine_evaluation_duration_seconds']) {
    expect(metric(m, `${name}_count`), name).toBe(total);
    expect(metric(m, `${name}_sum`), name).toBeGreaterThan(0);
    for (const quantile of ['0.5', '0.95', '0.99']) expect(metric(m, name, { quantile }), `${name} ${quantile}`).toBeGreaterThan(0);
  }
  expect(metric(m, 'policy_engine_request_latency_seconds_count', { transport: 'http' })).toBe(decisions.filter((x) => x.transport === 'http').length);
  expect(metric(m, 'policy_engine_request_latency_seconds_count', { transport: 'grpc' })).toBe(4);
  expect(metric(m, 'policy_engine_request_latency_seconds_bucket', { transport: 'http', le: '+Inf' })).toBe(decisions.filter((x) => x.transport === 'http').length);
  expect(metric(m, 'policy_engine_evaluation_latency_seconds_count')).toBe(total);

  // The decision cache: a hit for every cached answer, a miss for every other; capacity 3 forces evictions.
  expect(metric(m, 'policy_engine_cache_hits_total')).toBe(hits);
  expect(metric(m, 'policy_engine_cache_misses_total')).toBe(total - hits);
  const entries = metric(m, 'policy_engine_cache_entries')!;
  expect(entries).toBeGreaterThan(0);
  expect(entries).toBeLessThanOrEqual(3);
  expect(metric(m, 'policy_engine_cache_evictions_total')).toBe(total - hits - entries);
  expect(metric(m, 'policy_engine_cache_size_bytes')).toBeGreaterThan(0);
  expect(metric(m, 'policy_engine_cache_expirations_total')).toBe(0);

  // Policies and the sandbox.
  expect(metric(m, 'policy_engine_policies_loaded')).toBe(2);
  expect(metric(m, 'policy_engine_policy_updates_total')).toBe(0);
  expect(metric(m, 'policy_engine_policy_errors_total')).toBe(0);
  expect(metric(m, 'policy_engine_sandbox_executions_total')).toBe(0);
  expect(metric(m, 'policy_engine_sandbox_timeouts_total')).toBe(0);

  // The audit trail: every decision written, none dropped, one line each in the file.
  expect(metric(m, 'policy_engine_audit_written_total')).toBe(total);
  expect(metric(m, 'policy_engine_audit_dropped_total')).toBe(0);
  expect(d.auditRecords()).toHaveLength(total);
});

test('the endpoint: only its path, only GET and HEAD', async () => {
  expect((await request(`http://127.0.0.1:${d.ports.metrics}/other`)).status).toBe(404);
  const post = await request(d.metricsUrl, { method: 'POST' });
  expect(post.status).toBe(405);
  expect(post.headers.allow).toBe('GET, HEAD');
  const head = await request(d.metricsUrl, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.text).toBe('');
  // The REST port does not serve metrics.
  expect((await d.get('/metrics')).status).toBe(404);
});

describe('logs: format json, output stdout, level debug', () => {
  test('every line is one JSON object with level, time and msg, each key once; the started line has the ports', () => {
    const lines = d.stdout.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const o = JSON.parse(line);
      expect(o, line).toMatchObject({ level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/), time: expect.stringMatching(ISO), msg: expect.any(String) });
      // One value per key: JSON with a key written twice is ambiguous to log shippers.
      const keys = [...line.matchAll(/"([a-z_]+)":/g)].map((m) => m[1]!);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i), line).toEqual([]);
    }
    expect(d.stderr).toBe('');
    const [started] = d.logs('policy-engine daemon started', 'stdout');
    expect(started).toMatchObject({ level: 'info', pid: d.pid, grpc_port: d.ports.grpc, http_port: d.ports.http, metrics_port: d.ports.metrics, workers: 1 });
  });

  test('one debug line per decision, with the configured fields and never the prompt', () => {
    const lines = d.logs('decision', 'stdout');
    expect(lines.length).toBe(d.auditRecords().length);
    expect(lines[0]).toMatchObject({ level: 'debug', decision: 'allow', transport: 'http', user_id: 'u-42', decision_id: expect.any(String) });
    for (const l of lines) expect(l).not.toHaveProperty('metadata'); // include_metadata: false
    expect(d.stdout).not.toContain('a secret prompt');
    expect(d.logs(/^the request body|context must be/, 'stdout')).toHaveLength(1); // the 400, at debug
  });
});

const LIMIT = Math.floor(0.01 * 1024 * 1024);

/** What the REST tests sent that must show in policy_engine_request_errors_total, by code. */
const restErrors = { too_large: 0, invalid_argument: 0, unsupported_media_type: 0, not_found: 0, timeout: 0 };
/** The error counters before the bad input. */
let baseline: Sample[];

/** POST a raw body; contentType null sends none. */
const raw = (body: string | Buffer, contentType: string | null = 'application/json', path = '/v1/evaluate') =>
  request(`${d.httpBase}${path}`, { method: 'POST', body, headers: contentType === null ? {} : { 'content-type': contentType } });

function errorOf(r: { status: number; text: string }): { status: number; code: string; message: string } {
  const body = JSON.parse(r.text);
  expect(Object.keys(body)).toEqual(['error']);
  return { status: r.status, ...body.error };
}

describe('bad input', () => {
  beforeAll(async () => {
    baseline = await d.metrics();
  });

  describe.concurrent('REST', () => {
    test('a body over max_request_size_mb: 413 naming the limit; just under it: answered', async () => {
      const big = JSON.stringify({ context: { request: { model: 'gpt-4o', prompt: 'x'.repeat(LIMIT) } } });
      expect(errorOf(await raw(big))).toEqual({ status: 413, code: 'resource_exhausted', message: 'the request body is larger than 0.01 MB (server.limits.max_request_size_mb)' });
      restErrors.too_large++;
      // Sent in chunks without a Content-Length: refused as well.
      const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const s = connect(d.ports.http, '127.0.0.1');
        let text = '';
        s.on('data', (c) => (text += c));
        s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), text: text.slice(text.indexOf('\r\n\r\n') + 4) }));
        s.on('error', reject);
        s.write('POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
        for (let i = 0; i < 3; i++) s.write(`1000\r\n${'y'.repeat(0x1000)}\r\n`);
        s.write('0\r\n\r\n');
      });
      expect(chunked.status).toBe(413);
      expect(chunked.text).toContain('resource_exhausted');
      restErrors.too_large++;
      const fits = JSON.stringify({ context: { request: { model: 'gpt-4o', prompt: 'x'.repeat(LIMIT - 200) } } });
      expect((await raw(fits)).status).toBe(200);
    });

    test('malformed JSON, an empty body: 400 saying what is wrong', async () => {
      expect(errorOf(await raw('{"context": {"request": '))).toEqual({ status: 400, code: 'invalid_argument', message: expect.stringMatching(/^the request body is not valid JSON: /) });
      expect(errorOf(await raw('{"context": {}} trailing'))).toEqual({ status: 400, code: 'invalid_argument', message: expect.stringMatching(/^the request body is not valid JSON: .*position 16/) });
      expect(errorOf(await raw(''))).toEqual({ status: 400, code: 'invalid_argument', message: 'the request body is empty: send a JSON object' });
      expect(errorOf(await raw('{"context":{"__proto__":{"admin":true}}}'))).toEqual({ status: 400, code: 'invalid_argument', message: expect.stringContaining('"__proto__"') });
      restErrors.invalid_argument += 4;
    });

    test('a body that is not JSON: 415 naming the content type', async () => {
      expect(errorOf(await raw('context=1', 'text/plain'))).toEqual({ status: 415, code: 'unsupported_media_type', message: "Content-Type must be application/json, got 'text/plain'" });
      expect(errorOf(await raw('{"context":{}}', 'application/x-www-form-urlencoded'))).toMatchObject({ status: 415, message: expect.stringContaining("'application/x-www-form-urlencoded'") });
      expect(errorOf(await raw('{"context":{}}', null))).toMatchObject({ status: 415, message: 'Content-Type must be application/json, got none' });
      // application/json with parameters is JSON.
      expect((await raw('{"context":{}}', 'application/json; charset=utf-8')).status).toBe(200);
      restErrors.unsupported_media_type += 3;
    });

    test('wrong field types and unknown fields: 400 naming the field', async () => {
      const cases: [string, unknown, string | RegExp][] = [
        ['/v1/evaluate', [1, 2], 'the request body must be a JSON object, got an array'],
        ['/v1/evaluate', {}, /^context is required/],
        ['/v1/evaluate', { context: 'gpt-4' }, 'context must be a JSON object, got a string'],
        ['/v1/evaluate', { context: [] }, 'context must be a JSON object, got an array'],
        ['/v1/evaluate', { context: {}, trace: 'yes' }, 'trace must be true or false, got a string'],
        ['/v1/evaluate', { context: {}, dry_run: 1 }, 'dry_run must be true or false, got the number 1'],
        ['/v1/evaluate', { context: {}, dryRun: true }, 'dryRun is not a field of an evaluation request (expected context, trace, dry_run, now)'],
        ['/v1/evaluate', { context: {}, now: 'yesterday' }, /^now: cannot parse timestamp 'yesterday'/],
        ['/v1/evaluate/batch', { items: {} }, 'items must be an array of evaluation requests, got an object'],
        ['/v1/evaluate/batch', { items: [{ context: {} }, { context: 3 }] }, 'items[1].context must be a JSON object, got the number 3'],
        ['/v1/usage', { decision_id: 7 }, 'decision_id must be a string, got the number 7'],
        ['/v1/usage', { decision_id: 'x', input_tokens: -1 }, 'input_tokens must be a non-negative number, got -1'],
        ['/v1/usage', { decision_id: 'x', completion_tokens: 1 }, /^completion_tokens is not a field of a usage report/],
      ];
      for (const [path, body, message] of cases) {
        const e = errorOf(await raw(JSON.stringify(body), 'application/json', path));
        expect(e, `${path} ${JSON.stringify(body)}`).toEqual({ status: 400, code: 'invalid_argument', message: typeof message === 'string' ? message : expect.stringMatching(message) });
      }
      restErrors.invalid_argument += cases.length;
      // A batch over max_batch_size is too large, as a body is.
      expect(errorOf(await raw(JSON.stringify({ items: [{ context: {} }, { context: {} }, { context: {} }, { context: {} }] }), 'application/json', '/v1/evaluate/batch'))).toEqual({
        status: 413,
        code: 'resource_exhausted',
        message: 'the batch holds 4 items; at most 3 are allowed (server.limits.max_batch_size)',
      });
      restErrors.too_large++;
    });

    test('an unknown policy or route: 404 not_found', async () => {
      expect(errorOf(await d.get('/v1/policies/unknown'))).toEqual({ status: 404, code: 'not_found', message: "no loaded policy has the id 'unknown' (loaded: default/models, default/traffic)" });
      expect(errorOf(await d.get('/v1/nothing-here'))).toEqual({ status: 404, code: 'not_found', message: 'no route GET /v1/nothing-here: see GET /openapi.json' });
      restErrors.not_found += 2;
    });

    test('a body that never finishes arriving is cut off after request_timeout_seconds with a 408; the client that left early harms nothing', async () => {
      const answer = await new Promise<string>((resolve) => {
        const s = connect(d.ports.http, '127.0.0.1');
        let text = '';
        s.on('data', (c) => (text += c));
        s.on('close', () => resolve(text));
        s.on('error', () => undefined);
        s.write('POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"context"');
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      const [head, body] = answer.split('\r\n\r\n');
      expect(head!.toLowerCase()).toContain('\r\nconnection: close');
      expect(JSON.parse(body!)).toEqual({ error: { code: 'request_timeout', message: 'the request (headers and body) did not arrive within 1 s (server.limits.request_timeout_seconds)' } });
      restErrors.timeout++;
      // A client that disconnects mid-body.
      await new Promise<void>((resolve) => {
        const s = connect(d.ports.http, '127.0.0.1', () => {
          s.write('POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"con');
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 50);
        });
      });
      // Its body read fails: an invalid request (400, which it is no longer there to read).
      restErrors.invalid_argument++;
    });
  });

  describe.concurrent('gRPC', () => {
    test('a message over max_request_size_mb: RESOURCE_EXHAUSTED; the channel stays usable', async () => {
      const client = grpcPolicyClient(d.grpcAddress);
      const big = evaluateMessage({ context: { request: { model: 'gpt-4', prompt: 'x'.repeat(LIMIT + 10) } } });
      await expect(unaryCall(client, 'Evaluate', big)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
      const ok = await unaryCall(client, 'Evaluate', evaluateMessage({ context: { request: { model: 'bad' } } }));
      expect(decisionFromMessage(ok.decision).decision).toBe('deny');
      client.close();
    });

    test('missing or malformed fields: INVALID_ARGUMENT naming the field', async () => {
      const client = grpcPolicyClient(d.grpcAddress);
      await expect(unaryCall(client, 'Evaluate', {})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^context is required/) });
      await expect(unaryCall(client, 'Evaluate', evaluateMessage({ context: {}, now: 'soon' }))).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^now: cannot parse timestamp 'soon'/),
      });
      await expect(unaryCall(client, 'EvaluateBatch', { items: [evaluateMessage({ context: {} }), {}] })).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^items\[1\]\.context is required/),
      });
      await expect(unaryCall(client, 'EvaluateBatch', { items: Array.from({ length: 4 }, () => evaluateMessage({ context: {} })) })).rejects.toMatchObject({
        code: status.RESOURCE_EXHAUSTED,
        details: 'the batch holds 4 items; at most 3 are allowed (server.limits.max_batch_size)',
      });
      await expect(unaryCall(client, 'ReportUsage', { decision_id: '' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^decision_id is required/) });
      await expect(unaryCall(client, 'GetPolicy', {})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^id must be a policy id/) });
      await expect(unaryCall(client, 'GetPolicy', { id: 'default/unknown' })).rejects.toMatchObject({ code: status.NOT_FOUND, details: expect.stringMatching(/^no loaded policy has the id 'default\/unknown'/) });
      client.close();
    });

    test('bytes that are not the request message: INVALID_ARGUMENT', async () => {
      const rawClient = rawEvaluateClient(d.grpcAddress);
      const err = await new Promise<any>((resolve) => rawClient.Evaluate(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), (e: unknown) => resolve(e)));
      rawClient.close();
      expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^the message is not a valid llm\.policy\.v1\.EvaluateRequest: /) });
    });
  });

  test('afterwards: the daemon is alive and ready, logged nothing alarming, and counted the errors', async () => {
    expect(d.exit).toBeUndefined();
    expect((await d.get('/health/ready')).status).toBe(200);
    const ok = await d.post('/v1/evaluate', { context: { request: { model: 'bad' } } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).decision).toBe('deny');
    expect(d.jsonLines('stdout').filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    const m = await d.metrics();
    /** The increase of a counter since the bad input began. */
    const errors = (labels: Record<string, string>) => (metric(m, 'policy_engine_request_errors_total', labels) ?? 0) - (metric(baseline, 'policy_engine_request_errors_total', labels) ?? 0);
    // REST: each code as sent; the body cut off by the timeout counted once, as a timeout.
    for (const [code, n] of Object.entries(restErrors)) expect(errors({ transport: 'http', code }), `http ${code}`).toBe(n);
    expect(errors({ transport: 'http' })).toBe(Object.values(restErrors).reduce((a, b) => a + b, 0));
    // gRPC: the six INVALID_ARGUMENT answers above, the unknown policy, and two too large: the batch over
    // max_batch_size, and the message over max_request_size_mb (refused inside grpc-js, counted all the same).
    expect(errors({ transport: 'grpc', code: 'invalid_argument' })).toBe(6);
    expect(errors({ transport: 'grpc', code: 'not_found' })).toBe(1);
    expect(errors({ transport: 'grpc', code: 'too_large' })).toBe(2);
    expect(errors({ transport: 'grpc' })).toBe(9);
    // Nothing failed on the daemon's side.
    expect(metric(m, 'policy_engine_request_errors_total', { code: 'internal' }) ?? 0).toBe(0);
  });
});
