// Combining: the most restrictive enforced match wins (deny > throttle >
// modify > warn > allow), the reason comes from the first enforced matched
// rule with that decision, every match is reported in evaluation order, and
// with no match the policy set's default applies.

import { describe, expect, it } from 'vitest';
import { engineOf, matchedIds, policy, policySet } from './helpers.js';

const KINDS = ['deny', 'throttle', 'modify', 'warn', 'allow'] as const;

/** One rule per decision kind, each switched on by `request.on.<kind>`. */
function ruleFor(kind: (typeof KINDS)[number], id = kind) {
  return {
    id,
    when: `has(request.on.${kind}) && request.on.${kind}`,
    decision: kind,
    reason: `${id} matched`,
    ...(kind === 'modify' ? { modify: [{ set: 'request.model', value: 'small' }] } : {}),
  };
}

function on(...kinds: string[]) {
  return { request: { on: Object.fromEntries(kinds.map((k) => [k, true])) } };
}

describe('combining decisions', () => {
  it('picks the most restrictive decision among the rules of one policy', async () => {
    const engine = await engineOf([policy('all', { rules: KINDS.map((k) => ruleFor(k)) })]);
    // Every subset of kinds: the winner is the first of deny, throttle, modify, warn, allow present.
    for (let mask = 1; mask < 1 << KINDS.length; mask++) {
      const present = KINDS.filter((_, i) => mask & (1 << i));
      const d = engine.evaluateSync(on(...present));
      expect(d.decision, present.join(',')).toBe(present[0]);
      expect(d.reason).toBe(`${present[0]} matched`);
      expect(d.allowed).toBe(['allow', 'warn', 'modify'].includes(present[0]!));
      expect(matchedIds(d)).toEqual(KINDS.filter((k) => present.includes(k)).map((k) => `all/${k}`));
    }
  });

  it('picks the most restrictive decision across policies, whatever their order', async () => {
    // The lenient policies come first (higher priority): the order of evaluation must not matter.
    const engine = await engineOf([
      policy('p-allow', { priority: 50, rules: [ruleFor('allow')] }),
      policy('p-warn', { priority: 40, rules: [ruleFor('warn')] }),
      policy('p-modify', { priority: 30, rules: [ruleFor('modify')] }),
      policy('p-throttle', { priority: 20, rules: [ruleFor('throttle')] }),
      policy('p-deny', { priority: 10, rules: [ruleFor('deny')] }),
    ]);
    expect(engine.evaluateSync(on('allow', 'warn', 'modify', 'throttle', 'deny')).decision).toBe('deny');
    expect(engine.evaluateSync(on('allow', 'warn', 'modify', 'throttle')).decision).toBe('throttle');
    expect(engine.evaluateSync(on('allow', 'warn', 'modify')).decision).toBe('modify');
    expect(engine.evaluateSync(on('allow', 'warn')).decision).toBe('warn');
    expect(engine.evaluateSync(on('allow')).decision).toBe('allow');
    expect(engine.evaluateSync(on('allow', 'deny')).reason).toBe('deny matched');
  });

  it('takes the reason from the first enforced matched rule with the final decision', async () => {
    const engine = await engineOf([
      policy('first', {
        priority: 10,
        rules: [
          { id: 'w', when: 'true', decision: 'warn', reason: 'a warning' },
          { id: 'shadow-deny', when: 'true', decision: 'deny', reason: 'shadow reason', mode: 'shadow' },
          { id: 'd1', when: 'request.n > 1.0', decision: 'deny', reason: 'first deny: ${request.n}' },
          { id: 'd2', when: 'true', decision: 'deny', reason: 'second deny' },
        ],
      }),
      policy('second', { rules: [{ id: 'd3', when: 'true', decision: 'deny', reason: 'third deny' }] }),
    ]);
    const d = engine.evaluateSync({ request: { n: 2 } });
    expect(d.decision).toBe('deny');
    expect(d.reason).toBe('first deny: 2');
    expect(matchedIds(d)).toEqual(['first/w', 'first/shadow-deny', 'first/d1', 'first/d2', 'second/d3']);
    // Without d1, the next deny in order gives the reason (never the shadow rule's).
    expect(engine.evaluateSync({ request: { n: 0 } }).reason).toBe('second deny');
  });

  it('uses the description, else policy/rule, when a deciding rule has no reason', async () => {
    const engine = await engineOf([
      policy('p', {
        rules: [
          { id: 'described', description: 'Described rule', when: 'request.a', decision: 'deny' },
          { id: 'bare', when: 'request.b', decision: 'deny' },
        ],
      }),
    ]);
    expect(engine.evaluateSync({ request: { a: true, b: true } }).reason).toBe('Described rule');
    expect(engine.evaluateSync({ request: { a: false, b: true } }).reason).toBe('p/bare');
  });

  it('reports matches by priority (highest first), then namespace, then name; rules in file order', async () => {
    const rules = [
      { id: 'z-rule', when: 'true', decision: 'warn' },
      { id: 'a-rule', when: 'true', decision: 'warn' },
    ];
    const engine = await engineOf([
      policy('low', { priority: -5, rules }),
      policy('mid-b', { priority: 0, rules }, { namespace: 'beta' }),
      policy('mid-a', { priority: 0, rules }, { namespace: 'beta' }),
      policy('mid-z', { priority: 0, rules }, { namespace: 'alpha' }),
      policy('high', { priority: 100, rules }, { namespace: 'zeta' }),
    ]);
    const d = engine.evaluateSync({});
    expect(matchedIds(d)).toEqual([
      'high/z-rule',
      'high/a-rule',
      'mid-z/z-rule',
      'mid-z/a-rule',
      'mid-a/z-rule',
      'mid-a/a-rule',
      'mid-b/z-rule',
      'mid-b/a-rule',
      'low/z-rule',
      'low/a-rule',
    ]);
    expect(d.matched.map((m) => m.namespace)).toEqual(['zeta', 'zeta', 'alpha', 'alpha', 'beta', 'beta', 'beta', 'beta', 'default', 'default']);
    expect(engine.policies().map((p) => p.name)).toEqual(['high', 'mid-z', 'mid-a', 'mid-b', 'low']);
  });

  it('orders names by code unit, independent of the locale (the same order on every replica)', async () => {
    // A locale-aware comparison puts `_` before `-` and digits (en), or `z` before `t` (et, Estonian),
    // or `y` before `j` (lt); the evaluation order, the reason and the revision must not depend on the
    // LANG a replica runs with.
    const rule = { id: 'r', when: 'true', decision: 'deny' };
    const names = ['ab', 'a_b', 'a0', 'a-b', 'z', 't', 'y', 'j'];
    const engine = await engineOf(names.map((n) => policy(n, { rules: [{ ...rule, reason: `from ${n}` }] })));
    const expected = [...names].sort(); // code-unit order
    expect(expected).toEqual(['a-b', 'a0', 'a_b', 'ab', 'j', 't', 'y', 'z']);
    const d = engine.evaluateSync({});
    expect(d.matched.map((m) => m.policy)).toEqual(expected);
    expect(d.reason).toBe('from a-b');
    const ns = await engineOf(names.map((n, i) => policy(`p${i}`, { rules: [rule] }, { namespace: n })));
    expect(ns.evaluateSync({}).matched.map((m) => m.namespace)).toEqual(expected);
  });

  it('reports every matched rule with its fields', async () => {
    const engine = await engineOf([
      policy(
        'budget',
        { rules: [{ id: 'over', when: 'true', decision: 'throttle', severity: 'critical', reason: 'slow down' }] },
        { namespace: 'finance' },
      ),
    ]);
    expect(engine.evaluateSync({}).matched).toEqual([
      { policy: 'budget', namespace: 'finance', rule: 'over', decision: 'throttle', reason: 'slow down', severity: 'critical', mode: 'enforce' },
    ]);
  });

  it('gives default severities by decision', async () => {
    const engine = await engineOf([policy('p', { rules: KINDS.map((k) => ruleFor(k)) })]);
    const d = engine.evaluateSync(on(...KINDS));
    expect(Object.fromEntries(d.matched.map((m) => [m.decision, m.severity]))).toEqual({ deny: 'high', throttle: 'medium', modify: 'low', warn: 'low', allow: 'info' });
  });

  describe('default decision', () => {
    it('allows when nothing matches and no PolicySet says otherwise', async () => {
      const engine = await engineOf([policy('p', { rules: [ruleFor('deny')] })]);
      const d = engine.evaluateSync(on());
      expect(d.decision).toBe('allow');
      expect(d.allowed).toBe(true);
      expect(d.reason).toBe('no policy rule matched: allowed by default');
      expect(d.matched).toEqual([]);
      expect(d.obligations).toEqual({ modifications: [], suggestions: [] });
    });

    it('denies when nothing matches under `default_decision: deny`', async () => {
      const engine = await engineOf([policySet({ default_decision: 'deny' }), policy('p', { rules: [ruleFor('warn'), ruleFor('allow')] })]);
      const none = engine.evaluateSync(on());
      expect(none.decision).toBe('deny');
      expect(none.allowed).toBe(false);
      expect(none.reason).toBe('no policy rule matched: denied by default (default_decision: deny)');
      // An enforced match, even an allow, replaces the default.
      expect(engine.evaluateSync(on('allow')).decision).toBe('allow');
      expect(engine.evaluateSync(on('warn', 'allow')).decision).toBe('warn');
    });

    it('applies the default when only shadow rules match, and still reports them', async () => {
      const engine = await engineOf([
        policySet({ default_decision: 'deny' }),
        policy('p', { rules: [{ id: 's', when: 'true', decision: 'allow', mode: 'shadow' }] }),
      ]);
      const d = engine.evaluateSync({});
      expect(d.decision).toBe('deny');
      expect(matchedIds(d, 'shadow')).toEqual(['p/s']);
    });
  });
});
