// Loading and reloading the policy directory, in one real daemon:
//
// 1. Started on a directory whose policy does not compile, the daemon listens
//    (liveness) but is not ready — GET /health/ready 503, grpc.health.v1
//    NOT_SERVING, evaluations UNAVAILABLE, `policy-engine health` exit 1 — and
//    logs why. Once the file is fixed it becomes ready by itself (SERVING on a
//    Watch stream, 200, `policy-engine health` exit 0), loading the policies
//    once even when the fix lands as the periodic retry starts.
// 2. Hot reload: a good change is live within a second, without failing
//    requests sent meanwhile, and counted in policy_engine_policy_updates_total;
//    a broken change keeps the last good set (decisions unchanged), is logged
//    with its errors and counted in policy_engine_policy_errors_total.

import { status } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SERVICE_NAME } from '../../src/server/grpc/proto.js';
import { evaluateMessage, grpcHealthClient, grpcPolicyClient, unaryCall } from '../server/clients.js';
import { type DaemonProcess, freePorts, metric, run, sleep, startDaemon, until } from './daemon-process.js';

const policy = (reason: string, when = "request.model == 'gpt-4'", name = 'models') => `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: ${name} }
spec:
  rules:
    - id: blocked-model
      when: "${when}"
      decision: deny
      reason: "${reason}"
`;
/** A CEL syntax error on line 7. */
const BROKEN = policy('v0', "request.model == 'gpt-4' &&");
const CONTEXT = { request: { model: 'gpt-4' }, user: { id: 'u' } };

let d: DaemonProcess;
beforeAll(async () => {
  d = await startDaemon({ policies: { 'models.yaml': BROKEN }, wait: 'live' });
});
afterAll(async () => {
  await d?.dispose();
});

function healthCheck(service = ''): Promise<string> {
  const c = grpcHealthClient(d.grpcAddress);
  return new Promise<string>((resolve, reject) =>
    c.check({ service }, (err: any, res: any) => {
      c.close();
      if (err) reject(err);
      else resolve(res.status);
    }),
  );
}

async function decide(): Promise<{ decision: string; reason: string; revision: string }> {
  const r = await d.post('/v1/evaluate', { context: CONTEXT }, { timeoutMs: 5000 });
  if (r.status !== 200) throw new Error(`POST /v1/evaluate answered ${r.status}: ${r.text}`);
  return JSON.parse(r.text);
}

async function counters(): Promise<{ updates: number; errors: number; loaded: number }> {
  const m = await d.metrics();
  return {
    updates: metric(m, 'policy_engine_policy_updates_total')!,
    errors: metric(m, 'policy_engine_policy_errors_total')!,
    loaded: metric(m, 'policy_engine_policies_loaded')!,
  };
}

describe('start-up with a broken policy', () => {
  test('live but not ready on both ports, the errors logged; fixed: ready by itself, loaded once', async () => {
    // The first load failed: logged with the file, line and column.
    const [failed] = await d.waitForLog(/did not load: not ready, trying again$/);
    expect(failed!.level).toBe('error');
    expect(failed!.errors.join('\n')).toMatch(/models\.yaml:7:\d+: /);

    expect((await d.get('/health/live')).status).toBe(200);
    const ready = await d.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: 'starting' });
    expect((await d.get('/health')).status).toBe(503);
    expect(await healthCheck()).toBe('NOT_SERVING');
    expect(await healthCheck(SERVICE_NAME)).toBe('NOT_SERVING');

    // Requests are refused as unavailable, on both APIs.
    const evaluated = await d.post('/v1/evaluate', { context: CONTEXT });
    expect(evaluated.status).toBe(503);
    expect(JSON.parse(evaluated.text).error).toEqual({ code: 'unavailable', message: expect.stringContaining('not ready') });
    const client = grpcPolicyClient(d.grpcAddress);
    await expect(unaryCall(client, 'Evaluate', evaluateMessage({ context: CONTEXT }))).rejects.toMatchObject({ code: status.UNAVAILABLE });

    // The health command agrees: exit 1, and so it does with nothing listening at all.
    const [unused] = await freePorts(1);
    const [notReady, nobody] = await Promise.all([run(['health', '--url', d.httpBase]), run(['health', '--url', `http://127.0.0.1:${unused}`])]);
    expect(notReady.code, notReady.stdout + notReady.stderr).toBe(1);
    expect(notReady.stdout).toMatch(/^not ready: .*\/health\/ready answered 503/);
    expect(nobody.code, nobody.stdout + nobody.stderr).toBe(1);
    expect(nobody.stdout).toMatch(/^not ready: .* did not answer \(ECONNREFUSED\)/);

    // A Watch stream (what a gRPC readiness probe keeps open) sees SERVING when the file is fixed.
    const watcher = grpcHealthClient(d.grpcAddress);
    const seen: string[] = [];
    const watch = watcher.watch({ service: '' });
    watch.on('data', (r: any) => seen.push(r.status));
    watch.on('error', () => undefined);
    await until(() => seen.length > 0, 'the first Watch answer');
    expect(seen).toEqual(['NOT_SERVING']);

    // The fix lands just before the next periodic retry, so that the watcher's load and the retry's
    // overlap: the policies must still be loaded once (one engine, one "ready").
    const last = d.logs(/did not load: not ready, trying again$/).at(-1)!;
    let at = Date.parse(last.time) + last.retry_ms - 110;
    while (at < Date.now() + 20) at += last.retry_ms;
    await sleep(at - Date.now());
    d.writePolicy('models.yaml', policy('v1'));
    await until(() => seen.includes('SERVING'), 'SERVING on the Watch stream', 10_000);
    watch.cancel();
    watcher.close();
    expect(seen).toEqual(['NOT_SERVING', 'SERVING']);
    expect(await healthCheck()).toBe('SERVING');
    expect(await healthCheck(SERVICE_NAME)).toBe('SERVING');
    expect((await d.get('/health/ready')).status).toBe(200);
    const decided = await unaryCall(client, 'Evaluate', evaluateMessage({ context: CONTEXT }));
    expect(decided.decision).toMatchObject({ decision: 'deny', reason: 'v1' });
    client.close();
    // Past the retry that would have loaded a second engine.
    await sleep(Math.max(0, at + 500 - Date.now()));
    expect(d.logs(/^policies loaded from .*: ready$/)).toHaveLength(1);

    const nowReady = await run(['health', '--url', d.httpBase]);
    expect(nowReady.code, nowReady.stdout + nowReady.stderr).toBe(0);
    expect(nowReady.stdout).toBe(`ready: ${d.httpBase}/health/ready answered 200\n`);

    // Each failed load was counted as a policy error; the first good set is not an update.
    const c = await counters();
    expect(c.errors).toBe(d.logs(/did not load: not ready, trying again$/).length);
    expect(c).toMatchObject({ updates: 0, loaded: 1 });
  });
});

describe('hot reload', () => {
  /** Sends requests back to back (REST and gRPC alternately) until stopped; every one must succeed. */
  function backgroundLoad() {
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    const client = grpcPolicyClient(d.grpcAddress);
    const loop = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          if (i % 2) await unaryCall(client, 'Evaluate', evaluateMessage({ context: CONTEXT }), { deadline: Date.now() + 5000 });
          else await decide();
          answered++;
        } catch (e) {
          failures.push(String(e));
        }
      }
    })();
    return {
      async finish() {
        stop = true;
        await loop;
        client.close();
        return { answered, failures };
      },
    };
  }

  test('a good change is live within a second, requests meanwhile are all answered, and it is counted', async () => {
    const before = await decide();
    expect(before).toMatchObject({ decision: 'deny', reason: 'v1' });
    const c0 = await counters();
    const reloadedBefore = d.logs('policies reloaded').length;

    const load = backgroundLoad();
    await sleep(100);
    const t0 = performance.now();
    d.writePolicy('models.yaml', policy('v2'));
    const after = await until(async () => {
      const r = await decide();
      return r.reason === 'v2' ? r : undefined;
    }, 'a decision with the new reason', 5000, 10);
    const ms = performance.now() - t0;
    await sleep(100);
    const { answered, failures } = await load.finish();

    expect(ms, `the change took ${Math.round(ms)} ms to be live`).toBeLessThan(1000);
    expect(after.revision).not.toBe(before.revision);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(5);

    const reloaded = await until(() => d.logs('policies reloaded').slice(reloadedBefore)[0], 'the reload to be logged');
    expect(reloaded).toMatchObject({ level: 'info', revision: after.revision, policies: 1 });
    expect(await counters()).toEqual({ updates: c0.updates + 1, errors: c0.errors, loaded: 1 });

    // A new file in the directory is picked up too (a second update).
    d.writePolicy('more.yaml', policy('no gpt-3.5', "request.model == 'gpt-3.5'", 'more'));
    await until(async () => (await counters()).loaded === 2, 'two policies loaded', 5000);
    expect((await counters()).updates).toBe(c0.updates + 2);
  });

  test('a broken change keeps the last good set: decisions unchanged, errors logged and counted', async () => {
    const good = await decide();
    const c0 = await counters();
    const rejectedBefore = d.logs('policy change rejected: the last good policies stay active').length;

    d.writePolicy('models.yaml', BROKEN);
    const rejected = await until(() => d.logs('policy change rejected: the last good policies stay active')[rejectedBefore], 'the rejection to be logged', 5000);
    expect(rejected.level).toBe('error');
    expect(rejected.errors.join('\n')).toMatch(/models\.yaml:7:\d+: /);

    // The last good set still decides, unchanged.
    const still = await decide();
    expect(still).toMatchObject({ decision: good.decision, reason: good.reason, revision: good.revision });
    expect((await d.get('/health/ready')).status).toBe(200);
    expect(await counters()).toEqual({ updates: c0.updates, errors: c0.errors + 1, loaded: c0.loaded });

    // Fixing the file is a good change again: live, and counted as one update.
    d.writePolicy('models.yaml', policy('v4'));
    await until(async () => (await decide()).reason === 'v4', 'the fixed policy to be live', 5000);
    expect(await counters()).toEqual({ updates: c0.updates + 1, errors: c0.errors + 1, loaded: c0.loaded });
    expect(d.exit).toBeUndefined();
  });
});
