// What only the gRPC adapter has: the bidirectional stream, the standard
// health service, reflection, message size limits and undecodable messages.

import { credentials, status } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { grpcChannelOptions } from '../../src/server/grpc/server.js';
import { SERVICE_NAME } from '../../src/server/grpc/proto.js';
import { decisionFromMessage, evaluateMessage, rawEvaluateClient, grpcHealthClient, grpcPolicyClient, streamCall, unaryCall } from './clients.js';
import { type Harness, serverConfig, startHarness } from './harness.js';

const PRO = { request: { model: 'gpt-4' }, user: { id: 'u', tier: 'pro' } };
const FREE = { request: { model: 'gpt-4' }, user: { id: 'u', tier: 'free' } };

function check(h: Harness, service = ''): Promise<string> {
  const c = grpcHealthClient(h.grpcAddress);
  return new Promise<string>((resolve, reject) =>
    c.check({ service }, (err: any, res: any) => {
      c.close();
      if (err) reject(err);
      else resolve(res.status);
    }),
  );
}

describe('EvaluateStream', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  test('one response per message, correlated by request_id; a bad message gets an error and the stream goes on', async () => {
    const responses = await streamCall(h.grpcAddress, [
      { request_id: 'a', request: evaluateMessage({ context: PRO }) },
      { request_id: 'b', request: evaluateMessage({ context: FREE, trace: true }) },
      { request_id: 'c', request: { now: 'never' } },
      { request_id: 'd', request: evaluateMessage({ context: FREE, now: 'nope' }) },
      { request_id: 'e', request: evaluateMessage({ context: PRO }) },
    ]);
    const byId = Object.fromEntries(responses.map((r) => [r.request_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(byId.a.result).toBe('decision');
    expect(decisionFromMessage(byId.a.decision).decision).toBe('allow');
    expect(decisionFromMessage(byId.b.decision)).toMatchObject({ decision: 'deny', trace: expect.any(Array) });
    expect(byId.c).toMatchObject({ result: 'error', error: { code: 'invalid_argument', message: expect.stringMatching(/^context is required/) } });
    expect(byId.d).toMatchObject({ result: 'error', error: { code: 'invalid_argument', message: expect.stringMatching(/^now: cannot parse timestamp/) } });
    expect(decisionFromMessage(byId.e.decision).decision).toBe('allow');
  });

  test('many messages in flight on one stream', async () => {
    const responses = await streamCall(
      h.grpcAddress,
      Array.from({ length: 500 }, (_, i) => ({ request_id: String(i), request: evaluateMessage({ context: i % 2 ? PRO : FREE }) })),
    );
    expect(new Set(responses.map((r) => r.request_id)).size).toBe(500);
  });
});

describe('health (grpc.health.v1.Health)', () => {
  test('NOT_SERVING until ready, SERVING once ready, NOT_SERVING again while shutting down', async () => {
    const h = await startHarness({ serving: false });
    try {
      expect(await check(h)).toBe('NOT_SERVING');
      expect(await check(h, SERVICE_NAME)).toBe('NOT_SERVING');
      h.servers.setServing(true);
      expect(await check(h)).toBe('SERVING');
      expect(await check(h, SERVICE_NAME)).toBe('SERVING');
      await expect(check(h, 'no.such.Service')).rejects.toMatchObject({ code: status.NOT_FOUND });

      // Watchers (the probes' streaming form) see the change at shutdown.
      const c = grpcHealthClient(h.grpcAddress);
      const seen: string[] = [];
      const watch = c.watch({ service: '' });
      watch.on('data', (r: any) => seen.push(r.status));
      watch.on('error', () => undefined);
      await new Promise((r) => setTimeout(r, 50));
      const closing = h.close(500);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
      watch.cancel();
      c.close();
      await closing;
    } finally {
      await h.close();
    }
  });

  test('not SERVING while the service has no engine, even when told to serve', async () => {
    const h = await startHarness({ engine: null });
    try {
      expect(await check(h)).toBe('NOT_SERVING');
    } finally {
      await h.close();
    }
  });
});

describe('server reflection', () => {
  test('lists the policy engine and health services', async () => {
    const h = await startHarness();
    try {
      const reflectionDir = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection')), '..', 'proto');
      const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflectionDir], keepCase: true });
      const Reflection = (loadPackageDefinition(def) as any).grpc.reflection.v1.ServerReflection;
      const c = new Reflection(h.grpcAddress, credentials.createInsecure());
      const call = c.ServerReflectionInfo();
      const res = await new Promise<any>((resolve, reject) => {
        call.on('data', resolve);
        call.on('error', reject);
        call.write({ list_services: '' });
      });
      call.end();
      c.close();
      const names = res.list_services_response.service.map((s: any) => s.name);
      expect(names).toEqual(expect.arrayContaining([SERVICE_NAME, 'grpc.health.v1.Health']));
    } finally {
      await h.close();
    }
  });
});

describe('limits and bad input', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { limits: { max_request_size_mb: 0.01 } } });
  });
  afterAll(() => h.close());

  test('a message over max_request_size_mb: RESOURCE_EXHAUSTED, reported as resource_exhausted', async () => {
    const client = grpcPolicyClient(h.grpcAddress);
    const before = h.errors.length;
    const big = evaluateMessage({ context: { request: { model: 'gpt-4', prompt: 'x'.repeat(20_000) } } });
    await expect(unaryCall(client, 'Evaluate', big)).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/^Received message larger than max \(\d+ vs 10485\)$/) });
    // grpc-js refuses it before the service sees it; the interceptor reports it all the same, once.
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info.transport, e.info.operation, e.error.message])).toEqual([
      ['resource_exhausted', 'grpc', 'transport', expect.stringMatching(/^Received message larger than max/)],
    ]);
    // The connection is still good for the next call.
    const ok = await unaryCall(client, 'Evaluate', evaluateMessage({ context: PRO }));
    expect(decisionFromMessage(ok.decision).decision).toBe('allow');
    client.close();
  });

  test('an oversized message on EvaluateStream ends the stream with RESOURCE_EXHAUSTED, reported once', async () => {
    const client = grpcPolicyClient(h.grpcAddress);
    const before = h.errors.length;
    const stream = client.EvaluateStream();
    const answers: any[] = [];
    const ended = new Promise<any>((resolve) => {
      stream.on('data', (m: any) => answers.push(m));
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    stream.write({ request_id: 'a', request: evaluateMessage({ context: PRO }) });
    // The first answer is in before the oversized message is sent.
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.write({ request_id: 'b', request: evaluateMessage({ context: { request: { prompt: 'x'.repeat(20_000) } } }) });
    expect(await ended).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(answers.map((m) => m.request_id)).toEqual(['a']);
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info.transport])).toEqual([['resource_exhausted', 'grpc']]);
    client.close();
  });

  test('a batch over max_batch_size: RESOURCE_EXHAUSTED from the service, reported once (not again by the interceptor)', async () => {
    const client = grpcPolicyClient(h.grpcAddress);
    const before = h.errors.length;
    await expect(unaryCall(client, 'EvaluateBatch', { items: Array.from({ length: 6 }, () => evaluateMessage({ context: PRO })) })).rejects.toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'the batch holds 6 items; at most 5 are allowed (server.limits.max_batch_size)',
    });
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info.operation])).toEqual([['resource_exhausted', 'evaluate_batch']]);
    client.close();
  });

  test('bytes that are not the request message: INVALID_ARGUMENT, and the server keeps serving', async () => {
    const raw = rawEvaluateClient(h.grpcAddress);
    const before = h.errors.length;
    const err = await new Promise<any>((resolve) => raw.Evaluate(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), (e: unknown) => resolve(e)));
    raw.close();
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^the message is not a valid llm\.policy\.v1\.EvaluateRequest: /) });
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info.operation])).toEqual([['invalid_argument', 'transport']]);
    const client = grpcPolicyClient(h.grpcAddress);
    expect((await unaryCall(client, 'ListPolicies', {})).policies.length).toBe(4);
    client.close();
  });
});

test('the guide grpc settings become grpc-js options', () => {
  const c = serverConfig({ grpc: { max_concurrent_streams: 7, keepalive_interval_seconds: 30, keepalive_timeout_seconds: 10, max_connection_age_seconds: 3600 }, limits: { max_request_size_mb: 2 } });
  expect(grpcChannelOptions(c)).toEqual({
    'grpc.max_receive_message_length': 2 * 1024 * 1024,
    'grpc.max_concurrent_streams': 7,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_connection_age_ms': 3_600_000,
  });
});
