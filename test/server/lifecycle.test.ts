// Start-up and shutdown: bound ports, graceful close with requests in flight,
// the forced close after the grace period, request deadlines and the
// connection limit.

import { status } from '@grpc/grpc-js';
import { connect, createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { PolicyEngine } from '../../src/engine/engine.js';
import { PolicyService } from '../../src/server/service.js';
import { startServers } from '../../src/server/index.js';
import { decisionFromMessage, evaluateMessage, grpcPolicyClient, unaryCall } from './clients.js';
import { GatedStore, until } from './gated-store.js';
import { TEST_POLICIES, serverConfig, startHarness } from './harness.js';

/** Consults the limit store (the budget rule applies when request.cost is set). */
const COSTLY = { request: { model: 'gpt-4o', cost: 0.01 }, user: { id: 'u', tier: 'pro' } };

async function gatedHarness(config = {}) {
  const store = new GatedStore();
  const engine = await PolicyEngine.builder().withPolicyText(TEST_POLICIES, 'policies.yaml').withLimitStore(store).build();
  return { store, h: await startHarness({ engine, config }) };
}

const postEvaluate = (base: string, context: object) =>
  fetch(`${base}/v1/evaluate`, { method: 'POST', body: JSON.stringify({ context }), headers: { 'content-type': 'application/json' } });

describe('ports', () => {
  test('port 0 binds free ports, and the real ones are returned', async () => {
    const h = await startHarness();
    try {
      expect(h.servers.grpcPort).toBeGreaterThan(0);
      expect(h.servers.httpPort).toBeGreaterThan(0);
      expect(h.servers.httpPort).not.toBe(h.servers.grpcPort);
      expect((await fetch(`${h.httpBase}/health/live`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  test('http.enabled false: gRPC only', async () => {
    const h = await startHarness({ config: { http: { enabled: false } } });
    try {
      expect(h.servers.httpPort).toBeUndefined();
      const c = grpcPolicyClient(h.grpcAddress);
      expect((await unaryCall(c, 'ListPolicies', {})).policies).toHaveLength(4);
      c.close();
    } finally {
      await h.close();
    }
  });

  test('a REST port in use fails start-up and leaves the gRPC port free', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    const grpcPort = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    try {
      await expect(startHarness({ config: { listen_address: `127.0.0.1:${grpcPort}`, http: { listen_address: `127.0.0.1:${taken}` } } })).rejects.toThrow(/EADDRINUSE/);
      // The gRPC port was released: it can be bound again.
      const again = createServer();
      await new Promise<void>((resolve, reject) => again.once('error', reject).listen(grpcPort, '127.0.0.1', resolve));
      again.close();
    } finally {
      blocker.close();
    }
  });

  test('a malformed listen address names the setting', async () => {
    const service = new PolicyService({ engine: () => undefined, limits: serverConfig().limits });
    await expect(startServers({ server: serverConfig({ listen_address: 'localhost' }), service })).rejects.toThrow(
      "server.listen_address must be host:port (e.g. 0.0.0.0:8080, [::]:8080, or port 0 for any free port), got 'localhost'",
    );
  });
});

describe('close', () => {
  test('requests in flight finish; new connections are refused; close resolves once they are done', async () => {
    const { store, h } = await gatedHarness();
    const grpc = grpcPolicyClient(h.grpcAddress);
    const restInFlight = postEvaluate(h.httpBase, COSTLY);
    const grpcInFlight = unaryCall(grpc, 'Evaluate', evaluateMessage({ context: COSTLY }));
    await until(() => store.held === 2);

    let closed = false;
    const closing = h.close(10_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    await expect(fetch(`${h.httpBase}/health/live`)).rejects.toThrow();
    const late = grpcPolicyClient(h.grpcAddress, undefined, { 'grpc.use_local_subchannel_pool': 1 });
    await expect(unaryCall(late, 'ListPolicies', {}, { deadline: Date.now() + 1000 })).rejects.toMatchObject({
      code: expect.toSatisfy((c: number) => c === status.UNAVAILABLE || c === status.DEADLINE_EXCEEDED),
    });
    late.close();

    store.release();
    const rest = await restInFlight;
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as any).decision).toBe('allow');
    expect(decisionFromMessage((await grpcInFlight).decision).decision).toBe('allow');
    await closing;
    expect(closed).toBe(true);
    grpc.close();
  });

  test('after the grace period, what is left is cut off', async () => {
    const { store, h } = await gatedHarness({ limits: { request_timeout_seconds: 60 } });
    const grpc = grpcPolicyClient(h.grpcAddress);
    const restInFlight = postEvaluate(h.httpBase, COSTLY).then(
      (r) => r.status,
      () => 'cut',
    );
    const grpcInFlight = unaryCall(grpc, 'Evaluate', evaluateMessage({ context: COSTLY })).then(
      () => 'answered',
      (e: { code: number }) => e.code,
    );
    await until(() => store.held === 2);
    const t0 = Date.now();
    await h.close(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await restInFlight).toBe('cut');
    expect(await grpcInFlight).toBe(status.CANCELLED);
    grpc.close();
    store.release();
  });
});

describe('request_timeout_seconds', () => {
  test('work that takes longer: 504 / DEADLINE_EXCEEDED, deadline_exceeded', async () => {
    const { store, h } = await gatedHarness({ limits: { request_timeout_seconds: 0.2 } });
    try {
      const rest = await postEvaluate(h.httpBase, COSTLY);
      expect(rest.status).toBe(504);
      expect(await rest.json()).toEqual({
        error: { code: 'deadline_exceeded', message: 'the evaluation did not finish within 0.2 s (server.limits.request_timeout_seconds)' },
      });
      const c = grpcPolicyClient(h.grpcAddress);
      await expect(unaryCall(c, 'Evaluate', evaluateMessage({ context: COSTLY }))).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
      c.close();
    } finally {
      store.release();
      await h.close();
    }
  });
});

describe('max_connections', () => {
  test('connections beyond the limit are closed at once, on both ports', async () => {
    const h = await startHarness({ config: { limits: { max_connections: 1 } } });
    const sockets = [connect(h.servers.httpPort!, '127.0.0.1'), connect(h.servers.grpcPort, '127.0.0.1')];
    try {
      await Promise.all(sockets.map((s) => new Promise((r) => s.once('connect', r))));
      // Each port already holds its one connection: the next is dropped.
      await expect(fetch(`${h.httpBase}/health/live`)).rejects.toThrow();
      const c = grpcPolicyClient(h.grpcAddress, undefined, { 'grpc.use_local_subchannel_pool': 1 });
      await expect(unaryCall(c, 'ListPolicies', {}, { deadline: Date.now() + 1000 })).rejects.toMatchObject({
        code: expect.toSatisfy((code: number) => code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED),
      });
      c.close();
      // Once a connection ends, a new one is served.
      sockets[0]!.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect((await fetch(`${h.httpBase}/health/live`)).status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy();
      await h.close();
    }
  });
});
