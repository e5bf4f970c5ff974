// The decision cache inside the engine: a cached decision must equal the
// uncached one (but for decision_id, cached and evaluation_time_us) for every
// context — checked on many generated contexts — while fields no policy reads
// must not defeat it. Sets calling now() are never cached; reloads start over.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../src/engine/engine.js';
import { type Obj, comparable, engineOf, policy, prng, tempDir, yamlOf } from '../engine/helpers.js';

const POLICIES: Obj[] = [
  policy(
    'models',
    {
      priority: 10,
      let: { est: 'double(request.max_tokens) * 0.01' },
      rules: [
        {
          id: 'big-model',
          when: "request.model in ['gpt-4o', 'o1'] && user.tier == 'free'",
          decision: 'deny',
          reason: 'model ${request.model} for ${user.tier}',
          suggest: { model: 'mini-${user.tier}' },
        },
        { id: 'budget', when: 'user.budget.spent + est > user.budget.limit', decision: 'throttle', retry_after: '2s', reason: 'spent ${user.budget.spent} + ${est}' },
        {
          id: 'long-prompt',
          when: 'size(request.prompt) > 3',
          decision: 'modify',
          reason: '${size(request.prompt)} code points',
          modify: [
            { clamp: 'request.max_tokens', max: 'size(request.prompt) * 10' },
            { set: 'request.meta', expr: 'request.meta' },
          ],
        },
        { id: 'system', when: "request.messages.exists(m, m.role == 'system')", decision: 'warn', reason: '${size(request.messages)} messages' },
        { id: 'tools', when: 'size(request.tools) > 0 && request.tools.all(t, has(t.type))', decision: 'warn', mode: 'shadow' },
      ],
    },
    { namespace: 'prop' },
  ),
  policy(
    'values',
    {
      fail_open: true,
      target: "environment != 'test'",
      rules: [
        { id: 'zero', when: 'request.x == 0', decision: 'warn', reason: 'x is ${request.x} (${type(request.x)})' },
        { id: 'meta', when: "request.meta['a'] == 11.0", decision: 'deny', reason: 'meta ${request.meta}' },
        { id: 'ctor', when: 'has(request.meta.constructor)', decision: 'warn', reason: 'ctor ${request.meta.constructor}' },
        { id: 'flag', when: 'request.flag', decision: 'modify', modify: [{ set: 'request.flag', value: false }] },
        { id: 'str', when: 'string(request.x).size() == 2', decision: 'allow', reason: '${string(request.x)}' },
        { id: 'roles', when: "'admin' in user.roles", decision: 'allow' },
        { id: 'kinds', when: "type(request.meta) == list || type(request.x) == null_type", decision: 'warn', reason: '${type(request.meta)}' },
      ],
    },
    { namespace: 'prop' },
  ),
  policy('closed', {
    rules: [
      { id: 'emoji', when: "request.label.startsWith('😀')", decision: 'warn', reason: 'emoji ${request.label.size()}' },
      { id: 'tool-names', when: "request.tools.map(t, t.name).exists(n, n == 'shell')", decision: 'deny' },
    ],
  }),
];

/** Values that must never be confused with one another. */
const VALUES: unknown[] = [
  0,
  -0,
  '0',
  false,
  null,
  undefined,
  NaN,
  1,
  11,
  2.5,
  -1,
  Infinity,
  '',
  'gpt-4o',
  'o1',
  'admin',
  'free',
  'pro',
  'system',
  'shell',
  'a:b',
  's1:a',
  '10',
  'abcd',
  'abc',
  '😀',
  '😀😀',
  '😀😀😀😀',
  'ab',
  [],
  {},
  [0],
  ['admin'],
  ['admin', 'x'],
  [{ role: 'system' }],
  [{ role: 'user', content: 'hi' }],
  [{ type: 'code', name: 'shell' }],
  [{ name: 'web' }, { type: 'x' }],
  { a: 11 },
  { a: 1, 'xys8:abcdefg': true },
  { a: 11, xy: 'abcdefgt' },
  { a: 1 },
  { constructor: 'x' },
  { constructor: 'x', a: 11 },
  JSON.parse('{"__proto__": 1}'),
  JSON.parse('{"__proto__": {"a": 11}, "a": 1}'),
  { spent: 99.5, limit: 100 },
  { spent: 1, limit: 100 },
  { spent: '1', limit: 100 },
];

/** Groups of values a careless key would confuse: each group is tried, value by value, at one path. */
const CONFUSABLE: unknown[][] = [
  [0, -0, '0', false, null, undefined, NaN, '', [], {}, [0], { 0: 0 }],
  ['abcd', '😀😀', 'ab', '😀', 'a', '😀😀😀😀', '\ud83d', 'abc'],
  [{ a: 1, 'xys8:abcdefg': true }, { a: 11, xy: 'abcdefgt' }, { a: 11 }, { a: 1 }, { a: 1.1 }, { a: 11, '': 1 }],
  [{ constructor: 'x' }, JSON.parse('{"__proto__": 1}'), {}, [], { constructor: 'x', a: 11 }, JSON.parse('{"__proto__": {"a": 11}, "a": 1}'), { toString: 'x' }],
  [['admin'], ['admin', 'x'], 'admin', { admin: 1 }, [['admin']], [{ role: 'system' }], { role: 'system' }, [{ role: 'system', type: 'x' }], [{ type: 'x', name: 'shell' }]],
  ['a:b', 's1:a', 'a', ':b', 'a:', 'b', 's3:a:b', 'n1;'],
  [1, 11, 1.5, '1', true, [1], [1, 1], [11], { 1: 1 }],
];

/** Paths some policy reads, and paths none reads. */
const READ_PATHS = [
  'request.model',
  'request.max_tokens',
  'request.prompt',
  'request.label',
  'request.messages',
  'request.messages.0.role',
  'request.tools',
  'request.tools.0.type',
  'request.tools.0.name',
  'request.x',
  'request.meta',
  'request.meta.a',
  'request.meta.constructor',
  'request.flag',
  'user.tier',
  'user.budget',
  'user.budget.spent',
  'user.budget.limit',
  'user.roles',
  'environment',
];
const UNREAD_PATHS = ['request.id', 'request.messages.0.content', 'request.tools.0.body', 'metadata.trace_id', 'user.name', 'team'];

function base(): Obj {
  return {
    request: {
      id: 'req-1',
      model: 'gpt-4o',
      max_tokens: 100,
      prompt: 'abcd',
      label: 'abc',
      messages: [{ role: 'user', content: 'hello' }],
      tools: [{ type: 'code', name: 'python', body: 'x' }],
      x: 0,
      meta: { a: 1 },
      flag: false,
    },
    user: { name: 'Ann', tier: 'free', roles: ['dev'], budget: { spent: 10, limit: 100 } },
    environment: 'prod',
    metadata: { trace_id: 't-1' },
  };
}

/**
 * Sets `path` (dotted; numeric segments index lists) to a deep copy of `value`, making the
 * parents objects where they are not (a list only keeps its place for a numeric segment, so
 * every context stays JSON); undefined deletes the field.
 */
function setPath(ctx: Obj, path: string, value: unknown): void {
  const parts = path.split('.');
  let o: Record<string, unknown> = ctx;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const next = o[p];
    const numeric = /^\d+$/.test(parts[i + 1]!);
    if (next === null || typeof next !== 'object' || (Array.isArray(next) && !numeric)) defineField(o, p, {});
    o = o[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete o[last];
  else defineField(o, last, clone(value));
}

/** An own, enumerable field — also for `__proto__`, which plain assignment would treat as the prototype. */
function defineField(o: object, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A deep copy that keeps -0, NaN, undefined and own `__proto__` keys. */
function clone(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(clone(v[i]));
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) defineField(out, k, clone((v as Record<string, unknown>)[k]));
    return out;
  }
  return v;
}

describe('decision cache in the engine', () => {
  it('serves exactly the uncached decision, for many generated contexts (property test)', async () => {
    const cached = await engineOf(POLICIES, { cache: true, configure: (b) => b.withDecisionCache({ capacity: 100_000, evictionPolicy: 'lru' }) });
    const uncached = await engineOf(POLICIES);
    const random = prng(20250301);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let evaluated = 0;
    let secondHits = 0;
    const check = (ctx: Obj, label: string): void => {
      const expected = canonical(comparable(uncached.evaluateSync(ctx)));
      const first = cached.evaluateSync(ctx);
      const second = cached.evaluateSync(ctx);
      // (The context is only printed on a failure: formatting it every time costs more than the checks.)
      const a = canonical(comparable(first));
      if (a !== expected) expect(a, `${label}: ${show(ctx)}`).toBe(expected);
      const b = canonical(comparable(second));
      if (b !== expected) expect(b, `${label} (again): ${show(ctx)}`).toBe(expected);
      evaluated++;
      if (second.cached) secondHits++;
      if (evaluated % 10 === 0) {
        // The trace comes from a separately compiled (traced) copy of the policies: it must agree.
        const traced = cached.evaluateSync(ctx, { trace: true });
        const fromTrace = traced.trace!.filter((t) => t.result === 'matched' || (t.result === 'error' && t.why.endsWith('counted as matched (fail closed)')));
        const ids = fromTrace.map((t) => `${t.policy}/${t.rule}`);
        const matched = traced.matched.map((m) => `${m.policy}/${m.rule}`);
        if (ids.join() !== matched.join()) expect(ids, `${label} (trace): ${show(ctx)}`).toEqual(matched);
      }
    };
    let ctx = base();
    for (let i = 0; i < 500; i++) {
      // A context a few random steps away from the last one (or from the base)...
      ctx = random() < 0.3 ? base() : (clone(ctx) as Obj);
      const steps = Math.floor(random() * 3);
      for (let s = 0; s < steps; s++) setPath(ctx, random() < 0.75 ? pick(READ_PATHS) : pick(UNREAD_PATHS), pick(VALUES));
      check(ctx, `#${i}`);
      // ...then every value of a group of confusable values at one path, one after the other,
      // so a key that confuses two of them serves the other's decision right away.
      const path = random() < 0.85 ? pick(READ_PATHS) : pick(UNREAD_PATHS);
      const group = pick(CONFUSABLE);
      for (const v of random() < 0.5 ? group : [...group].reverse()) {
        const twin = clone(ctx) as Obj;
        setPath(twin, path, v);
        check(twin, `#${i} ${path}`);
      }
    }
    const stats = cached.stats().cache;
    // The second evaluation of each context is a hit (every context here has a key)...
    expect(secondHits).toBe(evaluated);
    // ...and so are many first evaluations: contexts revisit keys.
    expect(stats.hits).toBeGreaterThan(evaluated + evaluated / 10);
    expect(stats.hits + stats.misses).toBe(2 * evaluated);
  });

  it('is not defeated by fields no policy reads', async () => {
    const engine = await engineOf(POLICIES, { cache: true });
    engine.evaluateSync(base());
    const before = engine.stats().cache;
    const random = prng(7);
    for (let i = 0; i < 50; i++) {
      const ctx = base();
      for (const p of UNREAD_PATHS) setPath(ctx, p, VALUES[Math.floor(random() * VALUES.length)]);
      const d = engine.evaluateSync(ctx);
      expect(d.cached).toBe(true);
    }
    const after = engine.stats().cache;
    expect(after.hits - before.hits).toBe(50);
    expect(after.misses).toBe(before.misses);
    expect(after.size).toBe(1);
  });

  it('never caches policy sets that call now()', async () => {
    const engine = await engineOf([policy('clock', { rules: [{ id: 'late', when: 'now().getHours() >= 22', decision: 'deny' }] })], { cache: true });
    const ctx = { request: {} };
    expect(engine.evaluateSync(ctx, { now: '2025-01-01T23:00:00Z' }).decision).toBe('deny');
    const d = engine.evaluateSync(ctx, { now: '2025-01-01T10:00:00Z' });
    expect(d.decision).toBe('allow');
    expect(d.cached).toBe(false);
    expect(engine.stats().cache).toMatchObject({ size: 0, hits: 0, misses: 0 });
  });

  it('uses the cache for sets that do not call now(), whatever `now` says', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "request.model == 'x'", decision: 'deny' }] })], { cache: true });
    engine.evaluateSync({ request: { model: 'x' } }, { now: 0 });
    expect(engine.evaluateSync({ request: { model: 'x' } }, { now: Date.UTC(2030, 0) }).cached).toBe(true);
  });

  it('can be turned off, and cleared', async () => {
    const docs = [policy('p', { rules: [{ id: 'r', when: "request.model == 'x'", decision: 'deny' }] })];
    const off = await engineOf(docs, { cache: true, configure: (b) => b.withDecisionCache({ enabled: false }) });
    off.evaluateSync({ request: { model: 'x' } });
    expect(off.evaluateSync({ request: { model: 'x' } }).cached).toBe(false);
    const on = await engineOf(docs, { cache: true });
    on.evaluateSync({ request: { model: 'x' } });
    on.clearCache();
    expect(on.evaluateSync({ request: { model: 'x' } }).cached).toBe(false);
    expect(on.evaluateSync({ request: { model: 'x' } }).cached).toBe(true);
  });

  it('keeps colliding keys apart (string hashes sample a few characters)', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "request.model == 'gpt-4o-mini'", decision: 'deny', reason: '${request.model}' }] })], { cache: true });
    expect(engine.evaluateSync({ request: { model: 'gpt-4o-mini' } }).decision).toBe('deny');
    const other = engine.evaluateSync({ request: { model: 'gpt-4X-mini' } });
    expect(other.decision).toBe('allow');
    expect(other.cached).toBe(false);
    expect(engine.evaluateSync({ request: { model: 'gpt-4o-mini' } })).toMatchObject({ decision: 'deny', cached: true, reason: 'gpt-4o-mini' });
  });

  it('evaluates contexts it cannot key, nested too deeply or holding functions, without the cache', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "request.meta['a'] == 1.0", decision: 'deny' }] })], { cache: true });
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const d = engine.evaluateSync({ request: { meta: { a: 1, deep } } });
    expect(d.decision).toBe('deny');
    expect(d.cached).toBe(false);
    expect(engine.evaluateSync({ request: { meta: { a: 1, f: () => 1 } } }).cached).toBe(false);
    expect(engine.stats().cache.size).toBe(0);
  });

  it('evicts by the configured policy and capacity', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: "request.model == 'x'", decision: 'deny' }] })], {
      cache: true,
      configure: (b) => b.withDecisionCache({ capacity: 3, evictionPolicy: 'lfu' }),
    });
    for (const m of ['a', 'b', 'c', 'a', 'a', 'c', 'd']) engine.evaluateSync({ request: { model: m } });
    expect(engine.stats().cache).toMatchObject({ size: 3, evictions: 1, hits: 3, misses: 4 });
    expect(engine.evaluateSync({ request: { model: 'b' } }).cached).toBe(false); // b was the least frequently used
    expect(engine.evaluateSync({ request: { model: 'a' } }).cached).toBe(true);
  });
});

describe('reloads and the cache', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('a reload invalidates cached decisions', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'p.yaml');
    const write = (decision: string) => writeFileSync(file, yamlOf(policy('p', { rules: [{ id: 'r', when: "request.model == 'x'", decision }] })));
    write('deny');
    const engine = await PolicyEngine.builder().withPolicyFile(file).build();
    const ctx = { request: { model: 'x' } };
    engine.evaluateSync(ctx);
    expect(engine.evaluateSync(ctx)).toMatchObject({ decision: 'deny', cached: true });
    const old = engine.revision;
    write('warn');
    const r = await engine.reload();
    expect(r.ok).toBe(true);
    expect(r.revision).not.toBe(old);
    const after = engine.evaluateSync(ctx);
    expect(after).toMatchObject({ decision: 'warn', cached: false, revision: r.revision });
    expect(engine.evaluateSync(ctx)).toMatchObject({ decision: 'warn', cached: true, revision: r.revision });
  });
});

function show(ctx: Obj): string {
  return JSON.stringify(ctx, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : Object.is(v, -0) ? '-0' : v === undefined ? '<undefined>' : v));
}

/**
 * An exact text form of a decision: -0, NaN, undefined and own `constructor`/`__proto__`
 * keys kept apart (toStrictEqual compares objects' `constructor` properties, which an own
 * `constructor` key replaces).
 */
function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}
