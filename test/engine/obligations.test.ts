// Obligations: suggestions from every enforced match; request changes only
// when the final decision is modify; the lowest max_tokens clamp; the longest
// retry_after when the final decision is throttle.

import { describe, expect, it } from 'vitest';
import { engineOf, policy } from './helpers.js';

const modifyPolicy = policy('shape', {
  priority: 5,
  rules: [
    {
      id: 'cheaper',
      when: 'request.max_tokens > 1000.0',
      decision: 'modify',
      suggest: { model: 'gpt-4o-mini', why: 'for ${request.max_tokens} tokens' },
      modify: [
        { set: 'request.model', value: 'gpt-4o-mini' },
        { set: 'request.options', value: { stream: false, stop: ['\n'], n: null } },
        { set: 'request.temperature', expr: 'request.temperature * 0.5' },
        { clamp: 'request.max_tokens', max: 4096 },
        { clamp: 'request.top_p', min: 0.1, max: '1.0 - request.temperature / 10.0' },
        { remove: 'request.tools' },
      ],
    },
    { id: 'tighter', when: 'request.max_tokens > 2000.0', decision: 'modify', modify: [{ clamp: 'request.max_tokens', max: 'request.limit' }] },
    { id: 'floor', when: 'request.max_tokens > 1000.0', decision: 'modify', modify: [{ clamp: 'request.max_tokens', min: 16 }] },
  ],
});

const ctx = (extra: Record<string, unknown> = {}) => ({ request: { max_tokens: 5000, temperature: 0.8, limit: 2048, ...extra } });

describe('obligations', () => {
  it('lists every modification in order, computed values included, when the decision is modify', async () => {
    const engine = await engineOf([modifyPolicy]);
    const d = engine.evaluateSync(ctx());
    expect(d.decision).toBe('modify');
    expect(d.allowed).toBe(true);
    const base = { policy: 'shape', rule: 'cheaper' };
    expect(d.obligations.modifications).toEqual([
      { op: 'set', path: 'request.model', value: 'gpt-4o-mini', ...base },
      { op: 'set', path: 'request.options', value: { stream: false, stop: ['\n'], n: null }, ...base },
      { op: 'set', path: 'request.temperature', value: 0.4, ...base },
      { op: 'clamp', path: 'request.max_tokens', max: 4096, ...base },
      { op: 'clamp', path: 'request.top_p', min: 0.1, max: 0.92, ...base },
      { op: 'remove', path: 'request.tools', ...base },
      { op: 'clamp', path: 'request.max_tokens', max: 2048, policy: 'shape', rule: 'tighter' },
      { op: 'clamp', path: 'request.max_tokens', min: 16, policy: 'shape', rule: 'floor' },
    ]);
    // The lowest max of every clamp of request.max_tokens; min-only clamps do not count.
    expect(d.obligations.max_tokens).toBe(2048);
    expect(d.obligations.suggestions).toEqual([{ policy: 'shape', rule: 'cheaper', values: { model: 'gpt-4o-mini', why: 'for 5000 tokens' } }]);
    expect(d.obligations.retry_after_ms).toBeUndefined();
  });

  it('sets max_tokens to the lowest clamp across policies', async () => {
    const engine = await engineOf([
      modifyPolicy,
      policy('strict', { rules: [{ id: 'cap', when: 'true', decision: 'modify', modify: [{ clamp: 'request.max_tokens', max: 512 }] }] }),
    ]);
    expect(engine.evaluateSync(ctx()).obligations.max_tokens).toBe(512);
    // Only `strict` matches: its clamp alone.
    expect(engine.evaluateSync(ctx({ max_tokens: 10 })).obligations.max_tokens).toBe(512);
  });

  it('drops request changes when a stricter decision wins, but keeps suggestions', async () => {
    const engine = await engineOf([
      modifyPolicy,
      policy('guard', { rules: [{ id: 'block', when: "request.model == 'o1'", decision: 'deny', suggest: { model: 'o1-mini' } }] }),
    ]);
    const d = engine.evaluateSync(ctx({ model: 'o1' }));
    expect(d.decision).toBe('deny');
    expect(d.obligations.modifications).toEqual([]);
    expect(d.obligations.max_tokens).toBeUndefined();
    expect(d.obligations.suggestions.map((s) => `${s.policy}/${s.rule}`)).toEqual(['shape/cheaper', 'guard/block']);
  });

  it('sets retry_after_ms to the longest retry_after of the matched throttle rules, only for throttle', async () => {
    const engine = await engineOf([
      policy('limits', {
        rules: [
          { id: 'short', when: 'request.a', decision: 'throttle', retry_after: '1500ms' },
          { id: 'long', when: 'request.b', decision: 'throttle', retry_after: '1m30s' },
          { id: 'none', when: 'request.c', decision: 'throttle' },
          { id: 'shadow', when: 'true', decision: 'throttle', retry_after: '1h', mode: 'shadow' },
          { id: 'deny', when: 'request.d', decision: 'deny' },
        ],
      }),
    ]);
    const eval_ = (a: boolean, b: boolean, c: boolean, d: boolean) => engine.evaluateSync({ request: { a, b, c, d } });
    expect(eval_(true, true, true, false).obligations.retry_after_ms).toBe(90_000);
    expect(eval_(true, false, false, false).obligations.retry_after_ms).toBe(1500);
    expect(eval_(false, false, true, false)).toMatchObject({ decision: 'throttle', obligations: { modifications: [], suggestions: [] } });
    expect(eval_(false, false, true, false).obligations.retry_after_ms).toBeUndefined();
    // deny wins: no retry.
    const denied = eval_(true, true, false, true);
    expect(denied.decision).toBe('deny');
    expect(denied.obligations.retry_after_ms).toBeUndefined();
    expect(denied.allowed).toBe(false);
  });

  it('leaves out a modification whose value fails, with an error entry', async () => {
    const engine = await engineOf([
      policy('p', {
        rules: [
          {
            id: 'r',
            when: 'true',
            decision: 'modify',
            modify: [
              { set: 'request.model', expr: 'request.missing' },
              { clamp: 'request.max_tokens', max: 'request.label' },
              { clamp: 'request.max_tokens', max: 'request.cap' },
              { remove: 'request.tools' },
            ],
          },
        ],
      }),
    ]);
    const d = engine.evaluateSync({ request: { cap: 100, label: 'not a number' } });
    expect(d.decision).toBe('modify');
    expect(d.obligations.modifications.map((m) => m.op + ' ' + m.path)).toEqual(['clamp request.max_tokens', 'remove request.tools']);
    expect(d.obligations.max_tokens).toBe(100);
    expect(d.errors.map((e) => [e.part, e.effect])).toEqual([
      ['modify[0]', 'none'],
      ['modify[1].max', 'none'],
    ]);
    expect(d.errors[1]!.message).toBe('expected a number, got string');
  });

  it('has empty obligations when nothing matched', async () => {
    const engine = await engineOf([modifyPolicy]);
    expect(engine.evaluateSync(ctx({ max_tokens: 1 })).obligations).toEqual({ modifications: [], suggestions: [] });
  });

  it('rejects modify operations on rules that do not decide modify, and retry_after on non-throttle rules', async () => {
    await expect(engineOf([policy('p', { rules: [{ id: 'r', decision: 'deny', modify: [{ remove: 'request.tools' }] }] })])).rejects.toMatchObject({
      name: 'PolicyLoadError',
    });
    await expect(engineOf([policy('p', { rules: [{ id: 'r', decision: 'warn', retry_after: '1s' }] })])).rejects.toMatchObject({ name: 'PolicyLoadError' });
  });
});
