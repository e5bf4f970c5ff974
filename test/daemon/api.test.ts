// The daemon's two APIs through real clients: REST with fetch, gRPC with a
// grpc-js client built from proto/policy_engine.proto, plus the standard
// grpc.health.v1.Health service and server reflection. One daemon process
// (the built bin/policy-engine.js) serves every test of this file.

import { type Client, credentials, loadPackageDefinition, status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SERVICE_NAME } from '../../src/server/grpc/proto.js';
import { type ApiClient, decisionFromMessage, evaluateMessage, grpcClient, grpcHealthClient, grpcPolicyClient, httpClient, streamCall, unaryCall } from '../server/clients.js';
import { TEST_POLICIES } from '../server/harness.js';
import { type DaemonProcess, startDaemon } from './daemon-process.js';

const PRO = { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-pro', tier: 'pro' } };
const FREE = { request: { model: 'gpt-4' }, user: { id: 'u-free', tier: 'free' } };
const DEV = { request: { model: 'gpt-4o', max_tokens: 4000, tools: ['x'] }, user: { id: 'u-dev', tier: 'pro' }, environment: 'development' };
const ORIGIN = 'https://console.example.com';

let d: DaemonProcess;
let rest: ApiClient;
let grpc: ApiClient;

beforeAll(async () => {
  d = await startDaemon({
    policies: { 'policies.yaml': TEST_POLICIES },
    config: { server: { http: { cors_enabled: true, cors_allowed_origins: [ORIGIN] }, limits: { max_batch_size: 5 } } },
  });
  rest = httpClient(d.httpBase);
  grpc = grpcClient(d.grpcAddress);
});
afterAll(async () => {
  grpc?.close();
  const exit = await d?.stop();
  await d?.dispose();
  // Shut down by SIGTERM: a clean exit.
  expect(exit).toEqual({ code: 0, signal: null });
});

/** A decision without what differs from call to call. */
function stable(decision: any): any {
  const { decision_id, evaluation_time_us, cached, ...rest } = decision;
  expect(decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(evaluation_time_us).toBeGreaterThanOrEqual(0);
  return rest;
}

describe.each([
  ['REST (fetch)', () => rest],
  ['gRPC (grpc-js)', () => grpc],
])('%s', (_name, client) => {
  test('Evaluate: allow, deny with a suggestion, modify with every kind of modification', async () => {
    const c = client();
    const allow = await c.evaluate({ context: PRO });
    expect(allow).toMatchObject({ ok: true, body: { decision: 'allow', allowed: true, revision: expect.stringMatching(/^sha256:/) } });
    const deny = await c.evaluate({ context: FREE });
    expect(deny).toMatchObject({
      ok: true,
      body: {
        decision: 'deny',
        allowed: false,
        reason: 'Model gpt-4 is not available on the free tier',
        matched: [{ policy: 'models', namespace: 'acme', rule: 'free-tier-gpt4', decision: 'deny', mode: 'enforce' }],
        obligations: { suggestions: [{ policy: 'models', rule: 'free-tier-gpt4', values: { model: 'gpt-4o-mini' } }] },
      },
    });
    const modify = await c.evaluate({ context: DEV });
    expect(modify.ok && modify.body.obligations.modifications).toEqual([
      { op: 'set', path: 'request.model', value: 'gpt-4o-mini', policy: 'models', rule: 'dev-small-models' },
      { op: 'set', path: 'request.options', value: { stream: false, tags: ['dev', 1, null] }, policy: 'models', rule: 'dev-small-models' },
      { op: 'clamp', path: 'request.max_tokens', max: 512, policy: 'models', rule: 'dev-small-models' },
      { op: 'remove', path: 'request.tools', policy: 'models', rule: 'dev-small-models' },
    ]);
  });

  test('Evaluate with trace and dry_run', async () => {
    const r = await client().evaluate({ context: FREE, trace: true, dry_run: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.decision).toBe('deny');
    expect(r.body.trace.map((t: any) => `${t.policy}/${t.rule}`)).toEqual(expect.arrayContaining(['models/free-tier-gpt4', 'budget/daily-dollars']));
  });

  test('EvaluateBatch: decisions in the order of the items; over max_batch_size is refused', async () => {
    const c = client();
    const r = await c.evaluateBatch({ items: [{ context: PRO }, { context: FREE }, { context: DEV }] });
    expect(r.ok && r.body.decisions.map((x: any) => x.decision)).toEqual(['allow', 'deny', 'modify']);
    const tooMany = await c.evaluateBatch({ items: Array.from({ length: 6 }, () => ({ context: PRO })) });
    expect(tooMany).toMatchObject({ ok: false, code: 'resource_exhausted', message: expect.stringContaining('at most 5 are allowed (server.limits.max_batch_size)') });
  });

  test('ReportUsage settles what a budget reserved', async () => {
    const c = client();
    const costly = { request: { model: 'gpt-4o', cost: 0.01 }, user: { id: `budget-${c.transport}`, tier: 'pro' } };
    const r = await c.evaluate({ context: costly });
    expect(r.ok && r.body.decision).toBe('allow');
    if (!r.ok) return;
    expect(await c.reportUsage({ decision_id: r.body.decision_id, cost: 0.005 })).toEqual({ ok: true, body: { found: true, settled: 1 } });
    // Settled once: a second report finds nothing left to settle.
    expect(await c.reportUsage({ decision_id: r.body.decision_id, cost: 0.005 })).toEqual({ ok: true, body: { found: false, settled: 0 } });
  });

  test('ListPolicies and GetPolicy', async () => {
    const c = client();
    const list = await c.listPolicies();
    expect(list.ok).toBe(true);
    if (!list.ok) return;
    expect(list.body.revision).toMatch(/^sha256:/);
    expect(Object.fromEntries(list.body.policies.map((p: any) => [p.id, p.rule_count]))).toEqual({ 'acme/models': 2, 'acme/audit': 1, 'billing/budget': 1, 'other/audit': 1 });
    expect(list.body.policies).toHaveLength(4);
    const one = await c.getPolicy('acme/models');
    expect(one).toMatchObject({ ok: true, body: { revision: list.body.revision, policy: { id: 'acme/models', name: 'models', namespace: 'acme' } } });
    expect(one.ok && one.body.policy.rules.map((r: any) => [r.id, r.decision, r.mode])).toEqual([
      ['free-tier-gpt4', 'deny', 'enforce'],
      ['dev-small-models', 'modify', 'enforce'],
    ]);
    // A bare name works when one namespace uses it.
    expect(await c.getPolicy('budget')).toMatchObject({ ok: true, body: { policy: { id: 'billing/budget' } } });
    expect(await c.getPolicy('nope')).toMatchObject({ ok: false, code: 'not_found', message: expect.stringContaining("no loaded policy has the id 'nope'") });
    expect(await c.getPolicy('audit')).toMatchObject({ ok: false, code: 'invalid_argument', message: expect.stringContaining('acme/audit, other/audit') });
  });
});

test('REST and gRPC give the same decision for the same context', async () => {
  for (const context of [PRO, FREE, DEV]) {
    const [a, b] = await Promise.all([rest.evaluate({ context }), grpc.evaluate({ context })]);
    expect(a.ok && b.ok).toBe(true);
    expect(stable(b.ok && b.body)).toEqual(stable(a.ok && a.body));
  }
});

describe('REST only', () => {
  test('health endpoints and the OpenAPI document', async () => {
    for (const path of ['/health', '/health/live', '/health/ready']) {
      const r = await fetch(d.httpBase + path);
      expect(r.status, path).toBe(200);
      expect(await r.json()).toEqual({ status: 'ok' });
    }
    const r = await fetch(`${d.httpBase}/openapi.json`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await r.json()) as any;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/evaluate', '/v1/evaluate/batch', '/v1/usage', '/v1/policies', '/v1/policies/{id}', '/health', '/health/live', '/health/ready']),
    );
  });

  test('GET /v1/policies/:id with the slash encoded, and an unknown route', async () => {
    const r = await fetch(`${d.httpBase}/v1/policies/acme%2Fmodels`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).policy.id).toBe('acme/models');
    const missing = await fetch(`${d.httpBase}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error).toEqual({ code: 'not_found', message: expect.stringContaining('no route GET /v2/nothing') });
  });

  test('CORS as configured: the allowed origin gets the headers, others do not; preflight answered', async () => {
    const allowed = await fetch(`${d.httpBase}/v1/evaluate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ context: PRO }),
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(allowed.headers.get('vary')).toMatch(/origin/i);

    const other = await fetch(`${d.httpBase}/v1/policies`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(`${d.httpBase}/v1/evaluate`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    expect(preflight.headers.get('access-control-max-age')).toBe('600');
  });
});

describe('gRPC only', () => {
  test('EvaluateStream: one answer per message, by request_id; a bad message gets an error and the stream goes on', async () => {
    const responses = await streamCall(d.grpcAddress, [
      { request_id: 'a', request: evaluateMessage({ context: PRO }) },
      { request_id: 'b', request: evaluateMessage({ context: FREE, trace: true }) },
      { request_id: 'c', request: { now: 'never' } },
      { request_id: 'd', request: evaluateMessage({ context: DEV }) },
      ...Array.from({ length: 100 }, (_, i) => ({ request_id: `n${i}`, request: evaluateMessage({ context: i % 2 ? PRO : FREE }) })),
    ]);
    const byId = new Map(responses.map((r) => [r.request_id, r]));
    expect(responses).toHaveLength(104);
    expect(byId.size).toBe(104);
    expect(decisionFromMessage(byId.get('a').decision).decision).toBe('allow');
    expect(decisionFromMessage(byId.get('b').decision)).toMatchObject({ decision: 'deny', trace: expect.any(Array) });
    expect(byId.get('c')).toMatchObject({ result: 'error', error: { code: 'invalid_argument', message: expect.stringMatching(/^context is required/) } });
    expect(decisionFromMessage(byId.get('d').decision).decision).toBe('modify');
    for (let i = 0; i < 100; i++) expect(decisionFromMessage(byId.get(`n${i}`).decision).decision).toBe(i % 2 ? 'allow' : 'deny');
  });

  test('grpc.health.v1.Health: SERVING for the server and the service; NOT_FOUND for an unknown service', async () => {
    const c = grpcHealthClient(d.grpcAddress);
    const check = (service: string) =>
      new Promise<any>((resolve, reject) => c.check({ service }, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
    try {
      expect((await check('')).status).toBe('SERVING');
      expect((await check(SERVICE_NAME)).status).toBe('SERVING');
      await expect(check('no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      c.close();
    }
  });

  test('server reflection lists the services, and describes the policy engine', async () => {
    const reflectionDir = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
    const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionDir], keepCase: true });
    const Reflection = (loadPackageDefinition(def) as any).grpc.reflection.v1.ServerReflection;
    const c = new Reflection(d.grpcAddress, credentials.createInsecure()) as Client & Record<string, any>;
    const call = c.ServerReflectionInfo();
    const answers: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (r: any) => {
        answers.push(r);
        if (answers.length === 2) call.end();
      });
      call.on('end', resolve);
      call.on('error', reject);
    });
    call.write({ list_services: '' });
    call.write({ file_containing_symbol: SERVICE_NAME });
    await done;
    c.close();
    const names = answers[0].list_services_response.service.map((s: any) => s.name);
    expect(names).toEqual(expect.arrayContaining([SERVICE_NAME, 'grpc.health.v1.Health']));
    expect(answers[1].file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    const descriptors = Buffer.concat(answers[1].file_descriptor_response.file_descriptor_proto).toString('latin1');
    for (const word of ['llm.policy.v1', 'PolicyEngine', 'EvaluateStream', 'ReportUsage', 'GetPolicy']) expect(descriptors).toContain(word);
  });

  test('GetPolicy for an unknown id: NOT_FOUND status', async () => {
    const c = grpcPolicyClient(d.grpcAddress);
    await expect(unaryCall(c, 'GetPolicy', { id: 'acme/nope' })).rejects.toMatchObject({ code: status.NOT_FOUND, details: expect.stringContaining("'acme/nope'") });
    c.close();
  });
});
