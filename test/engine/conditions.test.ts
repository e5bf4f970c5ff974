// Conditions: when/unless, targets, errors (fail closed by default, fail_open
// on request) and shadow rules.

import { describe, expect, it } from 'vitest';
import { engineOf, matchedIds, policy } from './helpers.js';

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

describe('when and unless', () => {
  it('matches when `when` is true and `unless` is not', async () => {
    const engine = await engineOf([
      policy('p', {
        rules: [
          { id: 'both', when: 'request.w', unless: 'request.u', decision: 'deny' },
          { id: 'only-when', when: 'request.w', decision: 'warn' },
          { id: 'only-unless', unless: 'request.u', decision: 'throttle' },
          { id: 'always', decision: 'allow' },
        ],
      }),
    ]);
    const ids = (w: boolean, u: boolean) => matchedIds(engine.evaluateSync({ request: { w, u } }));
    expect(ids(true, false)).toEqual(['p/both', 'p/only-when', 'p/only-unless', 'p/always']);
    expect(ids(true, true)).toEqual(['p/only-when', 'p/always']);
    expect(ids(false, false)).toEqual(['p/only-unless', 'p/always']);
    expect(ids(false, true)).toEqual(['p/always']);
    expect(engine.evaluateSync({ request: { w: true, u: false } }).errors).toEqual([]);
  });

  it('does not evaluate `unless` when `when` is false', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: 'request.w', unless: 'request.missing.x', decision: 'deny' }] })]);
    const d = engine.evaluateSync({ request: { w: false } });
    expect(d.decision).toBe('allow');
    expect(d.errors).toEqual([]);
  });

  it('treats a non-bool condition result as an error', async () => {
    const engine = await engineOf([
      policy('p', {
        rules: [
          { id: 'num', when: 'request.max_tokens', decision: 'warn' },
          { id: 'str', unless: 'request.model', decision: 'deny' },
        ],
      }),
    ]);
    const d = engine.evaluateSync({ request: { max_tokens: 10, model: 'gpt' } });
    expect(d.decision).toBe('deny');
    expect(d.errors.map((e) => [e.rule, e.part, e.message, e.effect])).toEqual([
      ['num', 'when', 'expected a bool, got double', 'matched'],
      ['str', 'unless', 'expected a bool, got string', 'matched'],
    ]);
    expect(d.matched.map((m) => m.error)).toEqual(['expected a bool, got double', 'expected a bool, got string']);
  });

  it('rejects conditions that are statically not bool at build time', async () => {
    await expect(engineOf([policy('p', { rules: [{ id: 'r', when: '1 + 2', decision: 'deny' }] })])).rejects.toMatchObject({
      name: 'PolicyLoadError',
      diagnostics: [expect.objectContaining({ code: 'cel-not-boolean', rule: 'r' })],
    });
  });
});

describe('targets', () => {
  it('skips every rule of a policy whose target is false', async () => {
    const engine = await engineOf([
      policy('prod-only', { target: "environment == 'production'", rules: [{ id: 'r', when: 'true', decision: 'deny' }] }),
      policy('everywhere', { rules: [{ id: 'r', when: 'true', decision: 'warn' }] }),
    ]);
    expect(matchedIds(engine.evaluateSync({ environment: 'production' }))).toEqual(['everywhere/r', 'prod-only/r']);
    const dev = engine.evaluateSync({ environment: 'dev' });
    expect(matchedIds(dev)).toEqual(['everywhere/r']);
    expect(dev.decision).toBe('warn');
    expect(dev.errors).toEqual([]);
  });

  it('treats a non-bool target as an error: the policy applies (fail closed) or is skipped (fail_open)', async () => {
    const engine = await engineOf([
      policy('closed', { target: 'request.n', rules: [{ id: 'r', when: 'true', decision: 'deny' }] }),
      policy('open', { fail_open: true, target: 'request.n', rules: [{ id: 'r', when: 'true', decision: 'deny' }] }),
    ]);
    const d = engine.evaluateSync({ request: { n: 1 } });
    expect(matchedIds(d)).toEqual(['closed/r']);
    expect(d.errors.map((e) => [e.policy, e.part, e.message, e.effect])).toEqual([
      ['closed', 'target', 'expected a bool, got double', 'policy_applied'],
      ['open', 'target', 'expected a bool, got double', 'policy_skipped'],
    ]);
  });
});

describe('errors', () => {
  const text = [
    'apiVersion: policy.llm/v1',
    'kind: Policy',
    'metadata: { name: closed }',
    'spec:',
    '  target: "request.tier.level > 1.0"',
    '  rules:',
    '    - id: when-fails',
    '      when: "request.budget.spent > 10.0"',
    '      decision: deny',
    '      reason: the budget is exhausted',
    '    - id: unless-fails',
    '      when: "true"',
    "      unless: \"'ok' in request.permissions\"",
    '      decision: warn',
    '---',
    'apiVersion: policy.llm/v1',
    'kind: Policy',
    'metadata: { name: open }',
    'spec:',
    '  fail_open: true',
    '  rules:',
    '    - id: when-fails',
    '      when: "request.budget.spent > 10.0"',
    '      decision: deny',
    '    - id: unless-fails',
    '      when: "true"',
    "      unless: \"'ok' in request.permissions\"",
    '      decision: warn',
    '---',
    'apiVersion: policy.llm/v1',
    'kind: Policy',
    'metadata: { name: open-target }',
    'spec:',
    '  fail_open: true',
    '  target: "request.tier.level > 1.0"',
    '  rules:',
    '    - { id: r, decision: deny }',
    '',
  ].join('\n');

  it('fails closed by default: the rule counts as matched and the error names the file position', async () => {
    const engine = await engineOf(text);
    const d = engine.evaluateSync({ request: {} });
    // closed: target error → the policy applies; both rules count as matched.
    expect(matchedIds(d)).toEqual(['closed/when-fails', 'closed/unless-fails']);
    expect(d.decision).toBe('deny');
    expect(d.allowed).toBe(false);
    expect(d.reason).toBe('the budget is exhausted');
    expect(d.matched[0]!.error).toMatch(/no such key/);
    const closed = d.errors.filter((e) => e.policy === 'closed');
    expect(closed.map((e) => [e.rule, e.part, e.effect])).toEqual([
      [undefined, 'target', 'policy_applied'],
      ['when-fails', 'when', 'matched'],
      ['unless-fails', 'unless', 'matched'],
    ]);
    for (const e of closed) {
      expect(e.message).toMatch(/no such key: (tier|budget|permissions)/);
      expect(e.pos?.file).toBe('policies.yaml');
    }
    // Each position is on the line of the failing expression, within it.
    const exprs = ['request.tier.level > 1.0', 'request.budget.spent > 10.0', "'ok' in request.permissions"];
    closed.forEach((e, i) => {
      const at = positionOf(text, exprs[i]!);
      expect(e.pos!.line).toBe(at.line);
      expect(e.pos!.column).toBeGreaterThanOrEqual(at.column);
      expect(e.pos!.column).toBeLessThan(at.column + exprs[i]!.length);
    });
  });

  it('with fail_open, a failing rule counts as not matched and a failing target skips the policy', async () => {
    const engine = await engineOf(text);
    const d = engine.evaluateSync({ request: {} });
    expect(matchedIds(d).filter((id) => !id.startsWith('closed/'))).toEqual([]);
    const open = d.errors.filter((e) => e.policy !== 'closed');
    expect(open.map((e) => [e.policy, e.rule, e.part, e.effect])).toEqual([
      ['open', 'when-fails', 'when', 'not_matched'],
      ['open', 'unless-fails', 'unless', 'not_matched'],
      ['open-target', undefined, 'target', 'policy_skipped'],
    ]);
    const target = positionOf(text, 'request.tier.level > 1.0"\n  rules:\n    - { id: r');
    expect(open[2]!.pos).toMatchObject({ file: 'policies.yaml', line: target.line });
    expect(open[2]!.pos!.column).toBeGreaterThanOrEqual(target.column);
    expect(open[2]!.pos!.column).toBeLessThan(target.column + 'request.tier.level'.length);
  });

  it('reports no error when the same conditions can be evaluated', async () => {
    const engine = await engineOf(text);
    const d = engine.evaluateSync({ request: { tier: { level: 2 }, budget: { spent: 1 }, permissions: ['ok'] } });
    expect(d.errors).toEqual([]);
    expect(matchedIds(d)).toEqual(['open-target/r']);
    expect(d.decision).toBe('deny');
  });

  it('an error in `when` is forgiven when `unless` is true (false && error is false)', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: 'request.missing > 1.0', unless: 'request.exempt', decision: 'deny' }] })]);
    const d = engine.evaluateSync({ request: { exempt: true } });
    expect(d.decision).toBe('allow');
    expect(d.errors).toEqual([]);
  });

  it('never throws for evaluation errors (division by zero, bad conversions, deep data)', async () => {
    const engine = await engineOf([
      policy('p', {
        rules: [
          { id: 'div', when: 'int(request.a) / int(request.b) > 1', decision: 'warn' },
          { id: 'conv', when: "int(request.s) > 1", decision: 'warn' },
          { id: 'idx', when: 'request.list[5] == 1.0', decision: 'warn' },
        ],
      }),
    ]);
    const d = engine.evaluateSync({ request: { a: 1, b: 0, s: 'x', list: [] } });
    expect(d.decision).toBe('warn');
    expect(d.errors.map((e) => e.rule)).toEqual(['div', 'conv', 'idx']);
  });
});

describe('shadow rules', () => {
  it('are reported with mode shadow and never change the decision or the obligations', async () => {
    const shadowed = await engineOf([
      policy('p', {
        rules: [
          { id: 'live', when: 'true', decision: 'warn', reason: 'live', suggest: { model: 'live-model' } },
          { id: 'trial-deny', when: 'true', decision: 'deny', reason: 'trial', mode: 'shadow', suggest: { model: 'shadow-model' } },
          { id: 'trial-throttle', when: 'true', decision: 'throttle', retry_after: '9s', mode: 'shadow' },
          {
            id: 'trial-modify',
            when: 'true',
            decision: 'modify',
            mode: 'shadow',
            modify: [{ clamp: 'request.max_tokens', max: 1 }, { remove: 'request.tools' }],
          },
        ],
      }),
    ]);
    const plain = await engineOf([policy('p', { rules: [{ id: 'live', when: 'true', decision: 'warn', reason: 'live', suggest: { model: 'live-model' } }] })]);
    const d = shadowed.evaluateSync({ request: { max_tokens: 100 } });
    const p = plain.evaluateSync({ request: { max_tokens: 100 } });
    expect(d.decision).toBe('warn');
    expect(d.reason).toBe('live');
    expect(d.obligations).toEqual(p.obligations);
    expect(d.matched.map((m) => [m.rule, m.mode])).toEqual([
      ['live', 'enforce'],
      ['trial-deny', 'shadow'],
      ['trial-throttle', 'shadow'],
      ['trial-modify', 'shadow'],
    ]);
    expect(d.matched[1]!.reason).toBe('trial');
  });

  it('a failing shadow rule is reported but does not deny', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 's', when: 'request.missing', decision: 'deny', mode: 'shadow' }] })]);
    const d = engine.evaluateSync({ request: {} });
    expect(d.decision).toBe('allow');
    expect(d.matched).toMatchObject([{ rule: 's', mode: 'shadow', error: expect.stringMatching(/no such key/) }]);
    expect(d.errors).toHaveLength(1);
  });
});
