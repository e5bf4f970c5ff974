// The trace id of a request reaches the daemon's hooks (audit, logs) from a
// W3C traceparent or an x-request-id, over REST (the fast path and Fastify's)
// and gRPC (unary, batch, stream); malformed values are ignored.

import { Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { traceIdFrom } from '../../src/server/trace-id.js';
import { evaluateMessage, grpcPolicyClient, unaryCall } from './clients.js';
import { type Harness, startHarness } from './harness.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;
const CONTEXT = { request: { model: 'gpt-4' }, user: { tier: 'free' } };

describe('traceIdFrom', () => {
  const from = (headers: Record<string, unknown>) => traceIdFrom((n) => headers[n]);
  test('traceparent first, then x-request-id; malformed values are ignored', ({ expect }) => {
    expect(from({ traceparent: TRACEPARENT, 'x-request-id': 'r1' })).toBe(TRACE);
    expect(from({ traceparent: TRACEPARENT.toUpperCase() })).toBe(TRACE);
    expect(from({ traceparent: [TRACEPARENT] })).toBe(TRACE);
    expect(from({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, 'x-request-id': 'r1' })).toBe('r1');
    expect(from({ traceparent: 'garbage', 'x-request-id': 'req-42' })).toBe('req-42');
    expect(from({ 'x-request-id': 'has space' })).toBeUndefined();
    expect(from({ 'x-request-id': 'x'.repeat(129) })).toBeUndefined();
    expect(from({ 'x-request-id': Buffer.from('bin') })).toBeUndefined();
    expect(from({})).toBeUndefined();
  });
});

describe('over the APIs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close(0));

  const lastTrace = () => h.decisions.at(-1)!.info.trace_id;

  test('REST: the plain evaluation (fast path), with CORS (Fastify), and a batch', async ({ expect }) => {
    const post = (path: string, body: object, headers: Record<string, string>) =>
      fetch(h.httpBase + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    expect((await post('/v1/evaluate', { context: CONTEXT }, { traceparent: TRACEPARENT })).status).toBe(200);
    expect(lastTrace()).toBe(TRACE);
    expect((await post('/v1/evaluate', { context: CONTEXT }, { 'x-request-id': 'req-7', origin: 'http://example.com' })).status).toBe(200);
    expect(lastTrace()).toBe('req-7');
    expect((await post('/v1/evaluate/batch', { items: [{ context: CONTEXT }] }, { traceparent: TRACEPARENT })).status).toBe(200);
    expect(lastTrace()).toBe(TRACE);
    expect((await post('/v1/evaluate', { context: CONTEXT }, {})).status).toBe(200);
    expect(lastTrace()).toBeUndefined();
  });

  test('gRPC: unary, batch and stream take it from the call metadata', async ({ expect }) => {
    const client = grpcPolicyClient(h.grpcAddress);
    try {
      const md = new Metadata();
      md.set('traceparent', TRACEPARENT);
      await new Promise((resolve, reject) => client.Evaluate(evaluateMessage({ context: CONTEXT }), md, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
      expect(lastTrace()).toBe(TRACE);
      const md2 = new Metadata();
      md2.set('x-request-id', 'batch-1');
      await new Promise((resolve, reject) => client.EvaluateBatch({ items: [evaluateMessage({ context: CONTEXT })] }, md2, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
      expect(lastTrace()).toBe('batch-1');
      const stream = client.EvaluateStream(md);
      const answered = new Promise<void>((resolve) => stream.on('data', () => resolve()));
      stream.write({ request_id: 's1', request: evaluateMessage({ context: CONTEXT }) });
      await answered;
      stream.end();
      expect(lastTrace()).toBe(TRACE);
      await unaryCall(client, 'Evaluate', evaluateMessage({ context: CONTEXT }));
      expect(lastTrace()).toBeUndefined();
    } finally {
      client.close();
    }
  });
});
