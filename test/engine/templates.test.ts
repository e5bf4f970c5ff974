// Templates in `reason` and `suggest`: `${expr}` interpolates, `$${x}` is a
// dollar sign and then the value, `\${` is a literal `${`, and a failing part
// renders `<error: ...>` plus an error entry without changing the match.

import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../src/engine/template.js';
import { PolicyLoadError } from '../../src/engine/engine.js';
import { engineOf, policy } from './helpers.js';

async function render(reason: string, context: Record<string, unknown> = {}) {
  const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: 'true', decision: 'deny', reason, suggest: { s: reason } }] })]);
  const d = engine.evaluateSync(context);
  expect(d.obligations.suggestions[0]!.values.s).toBe(d.reason);
  return d;
}

describe('templates', () => {
  it('interpolates ${expr} in reasons and suggestions', async () => {
    const d = await render('Model ${request.model} needs ${request.n * 2.0} tokens, tier ${user.tier}', {
      request: { model: 'gpt-4o', n: 21 },
      user: { tier: 'free' },
    });
    expect(d.reason).toBe('Model gpt-4o needs 42 tokens, tier free');
  });

  it('renders $${x} as a dollar sign followed by the value', async () => {
    expect((await render('Budget of $${user.limit} reached', { user: { limit: 100 } })).reason).toBe('Budget of $100 reached');
    expect((await render('$$${user.limit}', { user: { limit: 5 } })).reason).toBe('$$5');
  });

  it('renders \\${ as a literal ${', async () => {
    expect((await render('write \\${name} for a variable, here ${user.name}', { user: { name: 'x' } })).reason).toBe('write ${name} for a variable, here x');
    expect((await render('\\${', {})).reason).toBe('${');
  });

  it('keeps braces and quotes inside expressions', async () => {
    const d = await render("${{'a': 1}['a']} and ${'}'} and ${\"{\" + user.s}", { user: { s: 'z' } });
    expect(d.reason).toBe('1 and } and {z');
  });

  it('renders a literal-only template as is', async () => {
    expect((await render('plain text, $ and { } included')).reason).toBe('plain text, $ and { } included');
  });

  it('renders a failing part as <error: ...>, adds an error entry and keeps the match', async () => {
    const d = await render('spent ${user.budget.spent} of ${user.budget.limit}', { user: { budget: { limit: 10 } } });
    expect(d.decision).toBe('deny');
    expect(d.matched).toHaveLength(1);
    expect(d.matched[0]!.error).toBeUndefined();
    expect(d.reason).toBe('spent <error: no such key: spent> of 10');
    // One entry for the reason, one for the suggestion; neither changes the match.
    expect(d.errors.map((e) => [e.rule, e.part, e.effect])).toEqual([
      ['r', 'reason', 'none'],
      ['r', 'suggest.s', 'none'],
    ]);
    expect(d.errors[0]!.message).toBe('no such key: spent');
    expect(d.errors[0]!.pos?.file).toBe('policies.yaml');
  });

  it('renders only for matched rules', async () => {
    const engine = await engineOf([policy('p', { rules: [{ id: 'r', when: 'false', decision: 'deny', reason: '${request.missing}' }] })]);
    expect(engine.evaluateSync({ request: {} }).errors).toEqual([]);
  });

  it('rejects unterminated and empty interpolations at build time', async () => {
    for (const reason of ['oops ${request.model', 'empty ${ }']) {
      const err = await engineOf([policy('p', { rules: [{ id: 'r', decision: 'deny', reason }] })]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PolicyLoadError);
      expect((err as PolicyLoadError).diagnostics.map((x) => x.code)).toContain('template-syntax');
    }
  });

  it('reports a compile error inside an interpolation at its position', async () => {
    const text = [
      'apiVersion: policy.llm/v1',
      'kind: Policy',
      'metadata: { name: p }',
      'spec:',
      '  rules:',
      '    - id: r',
      '      decision: deny',
      '      reason: "model ${request.model + (1 + true)} is not allowed"',
      '',
    ].join('\n');
    const err = (await engineOf(text).catch((e: unknown) => e)) as PolicyLoadError;
    expect(err).toBeInstanceOf(PolicyLoadError);
    const d = err.diagnostics.find((x) => x.severity === 'error')!;
    expect(d.pos.line).toBe(8);
    const col = '      reason: "model ${'.length + 1;
    expect(d.pos.column).toBeGreaterThanOrEqual(col);
    expect(d.pos.column).toBeLessThan(col + 'request.model + (1 + true)'.length);
  });

  it('parses templates into literal and expression parts with offsets', () => {
    expect(parseTemplate('a $${x} \\${y} ${z}!')).toEqual([{ literal: 'a $' }, { expr: { text: 'x', offset: 5 } }, { literal: ' ${y} ' }, { expr: { text: 'z', offset: 16 } }, { literal: '!' }]);
  });
});
