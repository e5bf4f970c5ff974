// Rate limits through the engine: request counts and weighted costs in a
// sliding window log, exact retry times, keys per key value / rule / policy /
// namespace, when/unless, and deny limits. Time is set with `now`.

import { describe, expect, test } from 'vitest';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { MINUTE, SECOND, SpyStore, T0, engineOf, matches, policy, prng } from '../limits/helpers.js';

const user = (id = 'u1', extra: Record<string, unknown> = {}) => ({ user: { id, tier: 'free', ...extra }, request: { model: 'big', tokens: 1 } });

const perMinute = (requests: number, more: Record<string, unknown> = {}) =>
  policy('rate', [{ id: 'rpm', limit: { key: 'user.id', requests, window: '1m' }, decision: 'throttle', reason: 'At most ${string(' + requests + ')} requests a minute for ${user.id}', ...more }]);

function run(e: PolicyEngine, ctx: Record<string, unknown>, at: number) {
  return e.evaluateSync(ctx, { now: at });
}

describe('requests', () => {
  test('N requests per window per key; the N+1th is throttled with the rule reason and an exact retry_after_ms', async () => {
    const e = await engineOf([perMinute(3)]);
    for (const dt of [0, 1 * SECOND, 2 * SECOND]) expect(run(e, user(), T0 + dt).decision).toBe('allow');
    const d = run(e, user(), T0 + 3 * SECOND);
    expect(d.decision).toBe('throttle');
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe('At most 3 requests a minute for u1');
    expect(matches(d)).toEqual(['rate/rpm:throttle']);
    // The oldest request (T0) leaves the window at T0 + 1m.
    expect(d.obligations.retry_after_ms).toBe(57 * SECOND);
    expect(run(e, user(), T0 + MINUTE - 1).obligations.retry_after_ms).toBe(1);
  });

  test('without a reason of its own, the rule says what the store found', async () => {
    const e = await engineOf([policy('rate', [{ id: 'rpm', limit: { key: 'user.id', requests: 1, window: '1m' }, decision: 'throttle' }])]);
    run(e, user(), T0);
    expect(run(e, user(), T0 + SECOND).reason).toBe('rate/rpm: 1 request of 1 request used in the last 60s; this request needs 1 request: it does not fit (fits again in 59s)');
  });

  test('boundary: a request leaves the window when its time <= now - window', async () => {
    const e = await engineOf([perMinute(2)]);
    expect(run(e, user(), T0).decision).toBe('allow');
    expect(run(e, user(), T0 + 1).decision).toBe('allow');
    expect(run(e, user(), T0 + MINUTE - 1).decision).toBe('throttle');
    // T0 <= (T0 + 1m) - 1m: the first request is out, one place is free.
    expect(run(e, user(), T0 + MINUTE).decision).toBe('allow');
    const d = run(e, user(), T0 + MINUTE);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(1);
    expect(run(e, user(), T0 + MINUTE + 1).decision).toBe('allow');
  });

  test('exactly N in every window: random arrivals against a reference model', async () => {
    const N = 5;
    const W = 1000;
    const e = await engineOf([policy('rate', [{ id: 'rps', limit: { key: 'user.id', requests: N, window: '1s' }, decision: 'throttle' }])]);
    const rnd = prng(7);
    const admitted: number[] = [];
    let t = T0;
    let refusals = 0;
    for (let i = 0; i < 600; i++) {
      t += Math.floor(rnd() * 350);
      const live = admitted.filter((a) => a > t - W);
      const d = run(e, user(), t);
      if (live.length < N) {
        expect(d.decision).toBe('allow');
        admitted.push(t);
      } else {
        refusals++;
        expect(d.decision).toBe('throttle');
        // It fits again when the oldest of the live ones leaves.
        expect(d.obligations.retry_after_ms).toBe(live[live.length - N]! + W - t);
      }
    }
    expect(refusals).toBeGreaterThan(50);
    // No interval of one window holds more than N admitted requests.
    for (const a of admitted) expect(admitted.filter((b) => b >= a && b < a + W).length).toBeLessThanOrEqual(N);
  });

  test('a request refused by a limit counts nothing: waiting retry_after_ms is enough', async () => {
    const e = await engineOf([perMinute(1)]);
    run(e, user(), T0);
    for (let i = 1; i <= 20; i++) expect(run(e, user(), T0 + i * SECOND).decision).toBe('throttle');
    const d = run(e, user(), T0 + 30 * SECOND);
    expect(run(e, user(), T0 + 30 * SECOND + d.obligations.retry_after_ms!).decision).toBe('allow');
  });
});

describe('cost and max', () => {
  const tokens = (max: number | string = 10) => policy('tpm', [{ id: 'tokens', limit: { key: 'user.id', cost: 'request.tokens', max, window: '1m' }, decision: 'throttle' }]);
  const req = (tokens: number, extra: Record<string, unknown> = {}) => ({ user: { id: 'u1', ...extra }, request: { tokens } });

  test('costs are rounded up to whole numbers and summed up to max', async () => {
    const e = await engineOf([tokens()]);
    // 2.1 counts as 3: three of them use 9 of 10.
    for (let i = 0; i < 3; i++) expect(run(e, req(2.1), T0 + i).decision).toBe('allow');
    expect(run(e, req(1.5), T0 + 3).decision).toBe('throttle'); // 9 + 2 > 10
    expect(run(e, req(1), T0 + 4).decision).toBe('allow'); // 10
    expect(run(e, req(0.001), T0 + 5).decision).toBe('throttle'); // rounds up to 1
    expect(run(e, req(0), T0 + 6).decision).toBe('allow'); // costs nothing
  });

  test('the retry time is when enough of the oldest costs leave', async () => {
    const e = await engineOf([tokens()]);
    run(e, req(4), T0);
    run(e, req(3), T0 + 10 * SECOND);
    run(e, req(3), T0 + 20 * SECOND);
    const d = run(e, req(5), T0 + 30 * SECOND);
    expect(d.decision).toBe('throttle');
    expect(d.obligations.retry_after_ms).toBe(40 * SECOND);
    expect(run(e, req(5), T0 + 70 * SECOND - 1).decision).toBe('throttle');
    expect(run(e, req(5), T0 + 70 * SECOND).decision).toBe('allow');
  });

  test('a request costing more than max never fits: denied, not throttled, so the client does not retry forever', async () => {
    const e = await engineOf([tokens()]);
    const d = run(e, req(11), T0);
    expect(d.decision).toBe('deny');
    expect(d.reason).toBe('this request alone needs 11, more than the whole limit of 10: retrying cannot help');
    expect(d.obligations.retry_after_ms).toBeUndefined();
    // It counted nothing: a request that fits still does.
    expect(run(e, req(10), T0).decision).toBe('allow');
  });

  test('max can come from the context', async () => {
    const e = await engineOf([tokens('user.quota')]);
    expect(run(e, req(5, { quota: 5 }), T0).decision).toBe('allow');
    expect(run(e, req(1, { quota: 5 }), T0).decision).toBe('throttle');
    expect(run(e, req(1, { quota: 6 }), T0).decision).toBe('allow');
  });
});

describe('keys', () => {
  test('separate per key value, non-string keys in CEL syntax, long keys hashed but still distinct', async () => {
    const e = await engineOf([policy('rate', [{ id: 'one', limit: { key: 'user.id', requests: 1, window: '1m' }, decision: 'throttle' }])]);
    expect(run(e, user('a'), T0).decision).toBe('allow');
    expect(run(e, user('b'), T0).decision).toBe('allow');
    expect(run(e, user('a'), T0).decision).toBe('throttle');
    expect(run(e, user('b'), T0).decision).toBe('throttle');
    expect(run(e, { user: { id: 7 } }, T0).decision).toBe('allow');
    expect(run(e, { user: { id: 7 } }, T0).decision).toBe('throttle');
    expect(run(e, { user: { id: [1, 2] } }, T0).decision).toBe('allow');
    const long = 'x'.repeat(300);
    expect(run(e, user(`${long}1`), T0).decision).toBe('allow');
    expect(run(e, user(`${long}2`), T0).decision).toBe('allow');
    expect(run(e, user(`${long}1`), T0).decision).toBe('throttle');
  });

  test('separate per rule, per policy and per namespace, even with identical keys', async () => {
    const rule = (id: string, model: string) => ({ id, when: `request.model == '${model}'`, limit: { key: "'everyone'", requests: 1, window: '1m' }, decision: 'throttle' });
    const e = await engineOf([
      policy('p1', [rule('r', 'a'), rule('s', 'b')]),
      policy('p2', [rule('r', 'c')]),
      policy('p1', [rule('r', 'd')], {}, { namespace: 'other' }),
    ]);
    const m = (model: string) => ({ request: { model } });
    for (const model of ['a', 'b', 'c', 'd']) expect(run(e, m(model), T0).decision, model).toBe('allow');
    for (const model of ['a', 'b', 'c', 'd']) expect(run(e, m(model), T0).decision, model).toBe('throttle');
  });
});

describe('conditions and decisions', () => {
  test('a limit applies only when its when holds and its unless does not: other requests count nothing', async () => {
    const e = await engineOf([
      policy('rate', [{ id: 'free', when: "user.tier == 'free'", unless: 'user.vip', limit: { key: "'shared'", requests: 2, window: '1m' }, decision: 'throttle' }]),
    ]);
    const paid = { user: { id: 'p', tier: 'paid', vip: false } };
    const vip = { user: { id: 'v', tier: 'free', vip: true } };
    const free = { user: { id: 'f', tier: 'free', vip: false } };
    for (let i = 0; i < 5; i++) {
      expect(run(e, paid, T0).decision).toBe('allow');
      expect(run(e, vip, T0).decision).toBe('allow');
    }
    expect(run(e, free, T0).decision).toBe('allow');
    expect(run(e, free, T0).decision).toBe('allow');
    expect(run(e, free, T0).decision).toBe('throttle');
    expect(run(e, paid, T0).decision).toBe('allow');
  });

  test('a deny limit: denied with its reason, no retry time', async () => {
    const e = await engineOf([policy('rate', [{ id: 'hard', limit: { key: 'user.id', requests: 1, window: '1h' }, decision: 'deny', reason: 'one per hour' }])]);
    expect(run(e, user(), T0).decision).toBe('allow');
    const d = run(e, user(), T0 + MINUTE);
    expect(d).toMatchObject({ decision: 'deny', allowed: false, reason: 'one per hour' });
    expect(d.matched[0]).toMatchObject({ rule: 'hard', decision: 'deny', severity: 'high', mode: 'enforce' });
    expect(d.obligations.retry_after_ms).toBeUndefined();
  });

  test("the reason is rendered after the store answered, with the policy's own let values", async () => {
    const e = await engineOf([
      policy('rate', [{ id: 'one', limit: { key: 'who', requests: 1, window: '1m' }, decision: 'throttle', reason: '${who} is over the limit' }], { let: { who: "'user ' + user.id" } }),
      policy('later', [{ id: 'note', when: "what == 'x'", decision: 'warn' }], { let: { what: "'x'" } }),
    ]);
    run(e, user(), T0);
    const d = run(e, user(), T0);
    expect(d.decision).toBe('throttle');
    expect(d.reason).toBe('user u1 is over the limit');
    expect(matches(d).sort()).toEqual(['later/note:warn', 'rate/one:throttle']);
  });

  test('a limit that fits does not match, and its check uses the evaluation time', async () => {
    const spy = new SpyStore();
    const e = await engineOf([perMinute(5)], { store: spy });
    const d = run(e, user(), T0 + 123);
    expect(d.matched).toEqual([]);
    expect(d.decision).toBe('allow');
    expect(spy.last.nowMs).toBe(T0 + 123);
    await e.evaluate(user(), { now: new Date(T0 + 456) });
    expect(spy.last.nowMs).toBe(T0 + 456);
    await e.evaluate(user(), { now: new Date(T0 + 789).toISOString() });
    expect(spy.last.nowMs).toBe(T0 + 789);
  });
});
