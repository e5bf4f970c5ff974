// When Redis is unreachable, dies, hangs or comes back: every evaluation must
// end quickly with the configured fail mode (closed refuses, open admits, and
// the decision's errors say why), and the store must recover by itself.
// The Redis servers here are private children on free ports of 127.0.0.1,
// always killed in afterAll.

import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/engine/decision.js';
import { PolicyEngine } from '../../src/engine/engine.js';
import { RedisLimitStore } from '../../src/limits/redis-store.js';
import { freePort, killProcess, sleep, startRedisServer, uniquePrefix } from './redis-helpers.js';

const POLICY = `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: guarded }
spec:
  rules:
    - id: rpm
      limit: { key: "user.id", requests: 1000, window: 1m }
      decision: throttle
    - id: spend
      budget: { key: "user.id", limit: 100, period: 1h, amount: "0.01" }
      decision: deny
`;
const CTX = { user: { id: 'u1' } };

const children: ChildProcess[] = [];
const engines: PolicyEngine[] = [];

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(children.map((c) => killProcess(c)));
});

async function engineOn(url: string, failMode: 'open' | 'closed'): Promise<{ engine: PolicyEngine; store: RedisLimitStore }> {
  const store = new RedisLimitStore({ url, keyPrefix: uniquePrefix(`faults-${failMode}`) });
  const engine = await PolicyEngine.builder().withPolicyText(POLICY, 'policies.yaml').withLimitStore(store, { failMode }).build();
  engines.push(engine);
  return { engine, store };
}

async function timed(engine: PolicyEngine): Promise<{ d: Decision; ms: number }> {
  const t0 = performance.now();
  const d = await engine.evaluate(CTX);
  return { d, ms: performance.now() - t0 };
}

function expectFailMode(d: Decision, failMode: 'open' | 'closed'): void {
  expect(d.errors.length).toBe(2);
  for (const e of d.errors) {
    expect(e.message).toMatch(/^limit store \(redis\) unavailable: /);
    expect(e.effect).toBe(failMode === 'open' ? 'not_matched' : 'matched');
  }
  if (failMode === 'open') expect(d.allowed).toBe(true);
  else {
    expect(d.allowed).toBe(false);
    expect(d.matched.every((m) => m.error?.startsWith('limit store (redis) unavailable'))).toBe(true);
  }
}

describe('Redis unreachable', () => {
  it('a store pointed at a dead port fails every call at once: closed refuses, open admits', async () => {
    const closed = await engineOn('redis://127.0.0.1:1', 'closed');
    const open = await engineOn('redis://127.0.0.1:1', 'open');
    for (let i = 0; i < 5; i++) {
      for (const [mode, { engine }] of [['closed', closed], ['open', open]] as const) {
        const { d, ms } = await timed(engine);
        expect(ms).toBeLessThan(1000);
        expectFailMode(d, mode);
      }
      await sleep(30);
    }
    expect(closed.engine.stats().limits.storeErrors).toBe(5);
    expect(open.engine.stats().limits.storeErrors).toBe(5);
    expect(closed.engine.stats().limits.checks).toBe(5);
    const s = closed.store.status();
    expect(s.ready).toBe(false);
    expect(s.errors).toBe(5);
    expect(s.connectionErrors).toBeGreaterThan(0);
    expect(s.lastError).toMatch(/ECONNREFUSED|not connected/);
    // reportUsage cannot reach the store either: it rejects, quickly.
    const t0 = performance.now();
    await expect(closed.engine.reportUsage('00000000-0000-4000-8000-000000000000', { cost: 1 })).rejects.toThrow(/Redis/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('Redis killed, hung and restarted', () => {
  it('applies the fail mode while Redis is down and recovers by itself when it is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let server = await startRedisServer(port);
    children.push(server);
    const closed = await engineOn(url, 'closed');
    const open = await engineOn(url, 'open');
    await Promise.all([closed.store.ready(), open.store.ready()]);

    for (let i = 0; i < 10; i++) {
      const [c, o] = await Promise.all([timed(closed.engine), timed(open.engine)]);
      expect(c.d.allowed && o.d.allowed).toBe(true);
      expect(c.d.errors).toEqual([]);
    }

    // Killed mid-run: evaluations in flight and after fail fast, with the fail mode.
    const inFlight = Array.from({ length: 20 }, () => Promise.all([timed(closed.engine), timed(open.engine)]));
    await killProcess(server, 'SIGKILL');
    const during = await Promise.all(inFlight);
    for (const [c, o] of during) {
      expect(c.ms).toBeLessThan(1000);
      expect(o.ms).toBeLessThan(1000);
      expect(o.d.allowed).toBe(true);
    }
    for (let i = 0; i < 5; i++) {
      const [c, o] = await Promise.all([timed(closed.engine), timed(open.engine)]);
      expect(c.ms).toBeLessThan(1000);
      expect(o.ms).toBeLessThan(1000);
      expectFailMode(c.d, 'closed');
      expectFailMode(o.d, 'open');
      await sleep(50);
    }
    const errorsWhileDown = closed.engine.stats().limits.storeErrors;
    expect(errorsWhileDown).toBeGreaterThanOrEqual(5);

    // Back on the same port (empty, without the scripts cached): the engines recover on their own.
    server = await startRedisServer(port);
    children.push(server);
    const back = performance.now();
    let recovered = false;
    while (performance.now() - back < 5000) {
      const [c, o] = await Promise.all([timed(closed.engine), timed(open.engine)]);
      expect(c.ms).toBeLessThan(1000);
      if (c.d.allowed && c.d.errors.length === 0 && o.d.errors.length === 0) {
        recovered = true;
        break;
      }
      await sleep(50);
    }
    expect(recovered).toBe(true);
    expect(performance.now() - back).toBeLessThan(3000);
    // The fresh server did not have the script: it was sent in full once, then run by its SHA.
    expect(closed.store.status().scriptLoads).toBeGreaterThanOrEqual(1);
    expect(closed.store.status().ready).toBe(true);
    const errorsAfter = closed.engine.stats().limits.storeErrors;
    for (let i = 0; i < 5; i++) expect((await closed.engine.evaluate(CTX)).allowed).toBe(true);
    expect(closed.engine.stats().limits.storeErrors).toBe(errorsAfter);

    // Hung (SIGSTOP): commands time out after the command timeout (100 ms), the fail mode applies.
    server.kill('SIGSTOP');
    try {
      const [c, o] = await Promise.all([timed(closed.engine), timed(open.engine)]);
      for (const r of [c, o]) {
        expect(r.ms).toBeGreaterThanOrEqual(90);
        expect(r.ms).toBeLessThan(1000);
      }
      expectFailMode(c.d, 'closed');
      expectFailMode(o.d, 'open');
      expect(c.d.errors[0]!.message).toMatch(/did not answer within 100 ms/);
    } finally {
      server.kill('SIGCONT');
    }
    // Once it runs again, so do the evaluations.
    const resumed = performance.now();
    let ok = false;
    while (!ok && performance.now() - resumed < 3000) {
      ok = (await closed.engine.evaluate(CTX)).errors.length === 0;
      if (!ok) await sleep(50);
    }
    expect(ok).toBe(true);
  });
});
