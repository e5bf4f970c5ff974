// The PolicyEngine API: evaluate and evaluateSync, context validation, the
// `now` option, decision fields, policies() and stats().

import { describe, expect, it } from 'vitest';
import { PolicyEngine, PolicyLoadError } from '../../src/engine/engine.js';
import { comparable, engineOf, policy, yamlOf } from './helpers.js';

const rules = policy('p', {
  rules: [
    { id: 'big', when: 'request.max_tokens > 1000.0', decision: 'deny', reason: 'too big: ${request.max_tokens}' },
    { id: 'warn', when: "request.model == 'gpt-4o'", decision: 'warn', suggest: { model: 'mini' } },
  ],
});

const clock = policy('clock', {
  rules: [
    { id: 'night', when: 'now().getHours() < 6', decision: 'deny', reason: 'closed at ${string(now())}' },
    { id: 'year', when: 'now().getFullYear() < 2000', decision: 'warn', reason: 'year ${now().getFullYear()} at ${string(now())}' },
  ],
});

describe('evaluate and evaluateSync', () => {
  it('give equal decisions', async () => {
    const engine = await engineOf([rules]);
    for (const ctx of [{ request: { max_tokens: 5000, model: 'gpt-4o' } }, { request: { max_tokens: 1, model: 'x' } }, { request: {} }]) {
      const a = await engine.evaluate(ctx);
      const s = engine.evaluateSync(ctx);
      expect(comparable(a)).toEqual(comparable(s));
      const at = await engine.evaluate(ctx, { trace: true });
      expect(comparable(at)).toEqual(comparable(engine.evaluateSync(ctx, { trace: true })));
    }
  });

  it('stamp every decision with the revision, a unique id and the evaluation time', async () => {
    const engine = await engineOf([rules]);
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const d = engine.evaluateSync({ request: { max_tokens: i } });
      expect(d.revision).toBe(engine.revision);
      expect(d.revision).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(d.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      ids.add(d.decision_id);
      expect(d.evaluation_time_us).toBeGreaterThanOrEqual(0);
      expect(d.evaluation_time_us).toBeLessThan(1_000_000);
    }
    expect(ids.size).toBe(50);
  });

  it('give equal revisions for equal policy sets', async () => {
    const a = await engineOf([rules, clock]);
    const b = await engineOf([clock, rules]);
    expect(a.revision).toBe(b.revision);
    const c = await engineOf([rules]);
    expect(c.revision).not.toBe(a.revision);
  });

  it('reject contexts that are not objects with a TypeError', async () => {
    const engine = await engineOf([rules]);
    const cases: [unknown, RegExp][] = [
      [null, /must be an object .*got null/],
      [[], /must be an object .*got an array/],
      [[{ request: {} }], /got an array/],
      ['{"request": {}}', /got string/],
      [42, /got number/],
      [undefined, /got undefined/],
    ];
    for (const [ctx, message] of cases) {
      expect(() => engine.evaluateSync(ctx as Record<string, unknown>)).toThrow(TypeError);
      expect(() => engine.evaluateSync(ctx as Record<string, unknown>)).toThrow(message);
      await expect(engine.evaluate(ctx as Record<string, unknown>)).rejects.toThrow(TypeError);
    }
    // An empty object is a context: rules fail on missing fields, they do not throw.
    expect(engine.evaluateSync({}).decision).toBe('deny');
  });
});

describe('the `now` option', () => {
  it('drives now() from a Date, an RFC 3339 string or epoch milliseconds', async () => {
    const engine = await engineOf([clock]);
    const at = (now: Date | string | number) => engine.evaluateSync({}, { now });
    expect(at(new Date('2025-03-01T03:00:00Z'))).toMatchObject({ decision: 'deny', reason: 'closed at 2025-03-01T03:00:00Z' });
    expect(at('2025-03-01T09:30:00Z').decision).toBe('allow');
    // 05:59:59.5 in UTC, written in +02:00.
    expect(at('2025-03-01T07:59:59.5+02:00')).toMatchObject({ decision: 'deny', reason: 'closed at 2025-03-01T05:59:59.5Z' });
    expect(at(Date.UTC(2025, 2, 1, 4, 15, 0, 250))).toMatchObject({ decision: 'deny', reason: 'closed at 2025-03-01T04:15:00.25Z' });
    expect(at(0).matched.map((m) => m.reason)).toEqual(['closed at 1970-01-01T00:00:00Z', 'year 1970 at 1970-01-01T00:00:00Z']);
    expect(at(-1).matched.map((m) => m.reason)).toEqual(['year 1969 at 1969-12-31T23:59:59.999Z']);
  });

  it('rounds sub-millisecond epoch times to a valid timestamp', async () => {
    const engine = await engineOf([clock]);
    // 1999.9999996 ms rounds to 2 s, not to "1 s and 1e9 ns".
    expect(engine.evaluateSync({}, { now: 1999.9999996 }).reason).toBe('closed at 1970-01-01T00:00:02Z');
    expect(engine.evaluateSync({}, { now: 1500.25 }).reason).toBe('closed at 1970-01-01T00:00:01.50025Z');
  });

  it('rejects an invalid `now` with a RangeError', async () => {
    const engine = await engineOf([clock]);
    for (const now of ['yesterday', '2025-02-30T00:00:00Z', '2025-03-01 09:30:00', NaN, Infinity, new Date('nope'), 1e20, -1e17]) {
      expect(() => engine.evaluateSync({}, { now }), String(now)).toThrow(RangeError);
    }
    expect(() => engine.evaluateSync({}, { now: 'yesterday' })).toThrow(/options\.now/);
  });

  it('uses the real clock without it, and one time per evaluation', async () => {
    const engine = await engineOf([policy('c', { rules: [{ id: 'same', when: 'now() == now() && now() > timestamp("2020-01-01T00:00:00Z")', decision: 'deny' }] })]);
    expect(engine.evaluateSync({}).decision).toBe('deny');
  });
});

describe('policies() and stats()', () => {
  it('list the loaded policies in evaluation order', async () => {
    const engine = await engineOf([rules, policy('first', { priority: 9, rules: [{ id: 's', decision: 'warn', mode: 'shadow' }] }, { namespace: 'ns' })]);
    expect(engine.policies()).toEqual([
      { name: 'first', namespace: 'ns', file: 'policies.yaml', priority: 9, rules: [{ id: 's', decision: 'warn', mode: 'shadow' }] },
      {
        name: 'p',
        namespace: 'default',
        file: 'policies.yaml',
        priority: 0,
        rules: [
          { id: 'big', decision: 'deny', mode: 'enforce' },
          { id: 'warn', decision: 'warn', mode: 'enforce' },
        ],
      },
    ]);
    const s = engine.stats();
    expect(s).toMatchObject({ revision: engine.revision, policies: 2, rules: 3, evaluations: 0, reloads: 1, reloadFailures: 0 });
    engine.evaluateSync({});
    expect(engine.stats().evaluations).toBe(1);
  });
});

describe('building', () => {
  it('needs a source', async () => {
    await expect(PolicyEngine.builder().build()).rejects.toThrow(/no policies/);
  });

  it('rejects with every problem, positioned, in a PolicyLoadError', async () => {
    const text = yamlOf(
      policy('a', { rules: [{ id: 'r', when: 'request.x >', decision: 'deny' }] }),
      policy('b', { rules: [{ id: 'r', when: 'undefined_var == 1', decision: 'deny' }] }),
    );
    const err = (await PolicyEngine.builder().withPolicyText(text, 'two.yaml').build().catch((e: unknown) => e)) as PolicyLoadError;
    expect(err).toBeInstanceOf(PolicyLoadError);
    const errors = err.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.policy, d.pos.file, d.pos.line])).toEqual([
      ['a', 'two.yaml', 1],
      ['b', 'two.yaml', 3],
    ]);
    expect(err.message).toMatch(/^policies failed to load:\ntwo\.yaml:1:\d+: .*\ntwo\.yaml:3:\d+: /);
  });

  it('validates the cache capacity', () => {
    expect(() => PolicyEngine.builder().withCacheCapacity(-1)).toThrow(RangeError);
    expect(() => PolicyEngine.builder().withCacheCapacity(1.5)).toThrow(RangeError);
  });

  it('reads policy text as JSON when the name ends in .json', async () => {
    const engine = await PolicyEngine.builder().withPolicyText(JSON.stringify(rules), 'p.json').build();
    expect(engine.evaluateSync({ request: { max_tokens: 5000 } }).decision).toBe('deny');
  });
});
