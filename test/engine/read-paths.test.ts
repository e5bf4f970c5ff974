// Read analysis: what each expression reads from the context, which the
// decision cache keys on. Over-reading only costs cache hits; under-reading
// would serve wrong decisions, so both directions are pinned here.

import { describe, expect, it } from 'vitest';
import { CelEnv } from '../../src/cel/env.js';
import { T } from '../../src/cel/types.js';
import { collectReads, normalizeReads, type ReadSpec } from '../../src/engine/read-paths.js';
import { compilePolicySet } from '../../src/engine/policy-set.js';
import { loadPolicyText } from '../../src/policy/load.js';
import { policy, yamlOf } from './helpers.js';

const env = new CelEnv({ variables: { request: T.dyn, user: T.dyn, est: T.dyn } });

/** Normalised reads of `source` as `path:mode` strings; `est` stands for a let binding. */
function reads(source: string): string[] {
  const c = env.compile(source);
  return normalizeReads(collectReads(c.ast, c.checked.refs, new Set(['est']))).map((r) => `${r.path.join('.')}:${r.mode}`);
}

describe('collectReads', () => {
  it('reads whole values of plain paths', () => {
    expect(reads("request.model == 'gpt-4o' && user.budget.spent > 1.0")).toEqual(['request.model:value', 'user.budget.spent:value']);
    expect(reads("'admin' in user.roles")).toEqual(['user.roles:value']);
    expect(reads('has(request.tools)')).toEqual(['request.tools:presence']);
  });

  it('reads only the size for size()', () => {
    expect(reads('size(request.prompt) > 10')).toEqual(['request.prompt:size']);
    expect(reads('request.messages.size() > 1')).toEqual(['request.messages:size']);
    // A size and a field below it are both kept; a value read covers the size.
    expect(reads('size(request.a) == 0 || request.a.b == 1.0')).toEqual(['request.a.b:value', 'request.a:size']);
    expect(reads('size(request.a) == 0 || request.a == [1]')).toEqual(['request.a:value']);
  });

  it('reads `list.*.f` for list.exists(t, t.f == x), plus the list size', () => {
    expect(reads("request.tools.exists(t, t.type == 'code')")).toEqual(['request.tools.*.type:value', 'request.tools:size']);
    expect(reads('request.tools.all(t, has(t.name))')).toEqual(['request.tools.*.name:presence', 'request.tools:size']);
    expect(reads("request.messages.exists_one(m, m.role == 'system')")).toEqual(['request.messages.*.role:value', 'request.messages:size']);
    expect(reads('request.messages.map(m, m.tokens).size() > 0')).toEqual(['request.messages.*.tokens:value', 'request.messages:size']);
    expect(reads('request.messages.all(m, size(m.content) < 100)')).toEqual(['request.messages.*.content:size', 'request.messages:size']);
  });

  it('narrows nested comprehensions, and respects shadowing', () => {
    expect(reads('request.tools.all(t, t.args.exists(a, a.name == t.name))')).toEqual([
      'request.tools.*.args.*.name:value',
      'request.tools.*.args:size',
      'request.tools.*.name:value',
      'request.tools:size',
    ]);
    expect(reads('request.tools.all(t, t.args.exists(t, t.name == 1.0))')).toEqual(['request.tools.*.args.*.name:value', 'request.tools.*.args:size', 'request.tools:size']);
  });

  it('reads the whole element when the comprehension variable is used bare', () => {
    expect(reads("request.tools.exists(t, t == 'x')")).toEqual(['request.tools:value']);
    expect(reads("request.tools.exists(t, t.type == 'x' || t in user.allowed)")).toEqual(['request.tools:value', 'user.allowed:value']);
    expect(reads('request.tools.exists(t, t.?type.hasValue())')).toEqual(['request.tools:value']);
    expect(reads("request.tools.exists(t, t['type'] == 'x')")).toEqual(['request.tools:value']);
    // filter returns the elements themselves.
    expect(reads('request.tools.filter(t, t.on).size() > 0')).toEqual(['request.tools:value']);
    // Two-variable comprehensions are not narrowed.
    expect(reads('request.tools.all(i, t, t.on)')).toEqual(['request.tools:value']);
  });

  it('does not count let bindings or locals as context reads', () => {
    expect(reads('est > 1.0 && request.x == 1.0')).toEqual(['request.x:value']);
    expect(reads('cel.bind(x, request.a, x.b == 1.0 && est.c == 2.0)')).toEqual(['request.a:value']);
    expect(reads('[request.a, user.b].exists(t, t.c == 1.0)')).toEqual(['request.a:value', 'user.b:value']);
  });

  it('reads the whole value when it is indexed', () => {
    expect(reads("request.meta['k'] == 1.0")).toEqual(['request.meta:value']);
    expect(reads('request.messages[0].role == "system"')).toEqual(['request.messages:value']);
  });

  it('does not read namespace names of qualified functions as variables', () => {
    expect(reads('math.greatest(request.a, 1.0) > 2.0')).toEqual(['request.a:value']);
    expect(reads("request.tools.exists(t, t.?type == optional.of('x'))")).toEqual(['request.tools:value']);
  });
});

describe('normalizeReads', () => {
  const spec = (p: string, mode: 'value' | 'size' = 'value'): ReadSpec => ({ path: p.split('.'), mode });
  const show = (rs: ReadSpec[]) => rs.map((r) => `${r.path.join('.')}:${r.mode}`);

  it('deduplicates, sorts and drops reads covered by another', () => {
    expect(show(normalizeReads([spec('b'), spec('a.x'), spec('a'), spec('a.x.y', 'size'), spec('b')]))).toEqual(['a:value', 'b:value']);
    expect(show(normalizeReads([spec('a', 'size'), spec('a.b'), spec('a', 'size')]))).toEqual(['a.b:value', 'a:size']);
    expect(show(normalizeReads([spec('a', 'size'), spec('a')]))).toEqual(['a:value']);
    expect(show(normalizeReads([spec('l.*.f'), spec('l', 'size'), spec('l.*')]))).toEqual(['l.*:value', 'l:size']);
  });
});

describe('policy reads', () => {
  it('are collected from every expression of a policy: lets, targets, templates and modify values included', () => {
    const loaded = loadPolicyText(
      yamlOf(
        policy('p', {
          target: "environment == 'prod'",
          let: { cost: 'request.max_tokens * 0.01', unused: 'request.never_used' },
          rules: [
            {
              id: 'r',
              when: 'cost > user.limit',
              decision: 'modify',
              reason: '${user.name}',
              suggest: { m: '${request.fallback}' },
              modify: [{ set: 'request.x', expr: 'request.y' }, { clamp: 'request.max_tokens', max: 'user.cap', min: 'user.floor' }],
            },
          ],
        }),
        policy('q', { rules: [{ id: 'r', when: 'size(request.prompt) > 1', decision: 'deny' }] }),
      ),
      'p.yaml',
    );
    const { set } = compilePolicySet(loaded.documents);
    expect(set!.reads.map((r) => `${r.path.join('.')}:${r.mode}`)).toEqual([
      'environment:value',
      'request.fallback:value',
      'request.max_tokens:value',
      // A let that is never used still counts (reads are collected per expression, not per use).
      'request.never_used:value',
      'request.prompt:size',
      'request.y:value',
      'user.cap:value',
      'user.floor:value',
      'user.limit:value',
      'user.name:value',
    ]);
    expect(set!.deterministic).toBe(true);
  });

  it('mark sets calling now() as not deterministic', () => {
    const loaded = loadPolicyText(yamlOf(policy('p', { rules: [{ id: 'r', when: 'now() > timestamp("2020-01-01T00:00:00Z")', decision: 'deny' }] })), 'p.yaml');
    expect(compilePolicySet(loaded.documents).set!.deterministic).toBe(false);
  });
});
