// The loader's diagnostics for limit and budget rules: code, message, hint and
// position (the key or value at fault), and that a bad rule keeps the engine
// from building.

import { describe, expect, test } from 'vitest';
import { PolicyEngine, PolicyLoadError } from '../../src/engine/engine.js';
import { type Diagnostic, loadPolicyText } from '../../src/policy/index.js';

const HEAD = ['apiVersion: policy.llm/v1', 'kind: Policy', 'metadata: { name: p }', 'spec:', '  rules:', '    - id: r'];

/** Diagnostics of a policy whose single rule `r` has the given lines (from line 7 on). */
function diagnose(...lines: string[]): Diagnostic[] {
  return loadPolicyText([...HEAD, ...lines, ''].join('\n'), 'x.yaml').diagnostics;
}

function only(ds: Diagnostic[]): Diagnostic {
  expect(ds.map((d) => `${d.code}: ${d.message}`)).toHaveLength(1);
  return ds[0]!;
}

const at = (line: number, column: number) => ({ file: 'x.yaml', line, column });

describe('limit and budget diagnostics', () => {
  test('limit-and-budget: on the budget key', () => {
    const d = only(diagnose('      limit: { key: user.id, requests: 1, window: 1m }', '      budget: { key: user.id, limit: 1, period: day, amount: "1" }', '      decision: deny'));
    expect(d).toMatchObject({ severity: 'error', code: 'limit-and-budget', message: 'a rule may have a limit or a budget, not both', pos: at(8, 7), policy: 'p', rule: 'r' });
    expect(d.hint).toMatch(/split it into two rules/);
  });

  test.each([
    ['limit', 'warn', '      limit: { key: user.id, requests: 1, window: 1m }', /use decision: throttle \(or deny\)/],
    ['limit', 'modify', '      limit: { key: user.id, requests: 1, window: 1m }', /throttle/],
    ['budget', 'allow', '      budget: { key: user.id, limit: 1, period: day, amount: "1" }', /warn_at/],
  ])('stateful-decision: a %s rule deciding %s, on the decision value', (which, decision, line, hint) => {
    const ds = diagnose(line, `      decision: ${decision}`).filter((d) => d.code === 'stateful-decision');
    const d = only(ds);
    expect(d.message).toBe(`a rule with a ${which} decides what happens to a request that would exceed it, which can only be throttle or deny, not '${decision}'`);
    expect(d.pos).toEqual(at(8, 17));
    expect(d.hint).toMatch(hint);
  });

  test('stateful-retry-after: on the retry_after key', () => {
    const d = only(diagnose('      limit: { key: user.id, requests: 1, window: 1m }', '      decision: throttle', '      retry_after: 5s'));
    expect(d).toMatchObject({ code: 'stateful-retry-after', message: 'retry_after cannot be set on a rule with a limit: the engine computes when the request would fit', pos: at(9, 7), hint: 'remove retry_after' });
  });

  test('invalid-timezone: on the time zone', () => {
    const d = only(diagnose('      budget:', '        key: user.id', '        limit: 1', '        period: day', '        timezone: Mars/Olympus_Mons', '        amount: "1"', '      decision: deny'));
    expect(d).toMatchObject({ code: 'invalid-timezone', message: "'Mars/Olympus_Mons' is not a time zone this runtime knows", pos: at(11, 19) });
    expect(d.hint).toMatch(/IANA name such as UTC, Europe\/Paris/);
  });

  test('timezone-without-calendar: a rolling period has no time zone', () => {
    const d = only(diagnose('      budget:', '        key: user.id', '        limit: 1', '        period: 24h', '        timezone: Europe/Paris', '        amount: "1"', '      decision: deny'));
    expect(d).toMatchObject({ code: 'timezone-without-calendar', message: "timezone only applies to calendar periods (day, week, month); period '24h' is a rolling window", pos: at(11, 9) });
  });

  test('clamp-needs-usage: on the on_exceed value', () => {
    const d = only(diagnose('      budget:', '        key: user.id', '        limit: 1', '        period: day', '        amount: "1"', '        on_exceed: clamp', '      decision: deny'));
    expect(d).toMatchObject({ code: 'clamp-needs-usage', pos: at(12, 20) });
    expect(d.message).toMatch(/^on_exceed: clamp needs `usage`/);
    expect(d.hint).toMatch(/replace amount with usage/);
  });

  test.each([
    ['limit window of zero', '      limit: { key: user.id, requests: 1, window: 0s }', 'spec.rules[0].limit.window must be longer than zero', at(7, 51)],
    ['budget period of zero', '      budget: { key: user.id, limit: 1, period: 0h, amount: "1" }', 'spec.rules[0].budget.period must be longer than zero', at(7, 49)],
    ['reservation_ttl of zero', '      budget: { key: user.id, limit: 1, period: day, amount: "1", reservation_ttl: 0m }', 'spec.rules[0].budget.reservation_ttl must be longer than zero', at(7, 84)],
    ['window that is not a duration', '      limit: { key: user.id, requests: 1, window: forever }', "invalid duration 'forever': a number is missing before 'forever'", at(7, 51)],
    ['window too long', '      limit: { key: user.id, requests: 1, window: 99999999999999999d }', "duration '99999999999999999d' is too long", at(7, 51)],
  ])('invalid-duration: %s', (_name, line, message, pos) => {
    const d = only(diagnose(line, '      decision: throttle'));
    expect(d).toMatchObject({ code: 'invalid-duration', message, pos });
  });

  test('a period that is neither a calendar period nor a duration', () => {
    const d = only(diagnose('      budget: { key: user.id, limit: 1, period: year, amount: "1" }', '      decision: deny'));
    expect(d).toMatchObject({ code: 'invalid-value', pos: at(7, 49) });
    expect(d.message).toMatch(/^spec.rules\[0\].budget.period /);
  });

  test('requests of 0 are refused', () => {
    const d = only(diagnose('      limit: { key: user.id, requests: 0, window: 1m }', '      decision: throttle'));
    expect(d).toMatchObject({ code: 'invalid-value', message: 'spec.rules[0].limit.requests must be >= 1, got number 0', pos: at(7, 40) });
  });

  test('several problems of one rule are reported together', () => {
    const ds = diagnose('      budget: { key: user.id, limit: 1, period: 24h, amount: "1", timezone: Europe/Paris, on_exceed: clamp }', '      decision: warn', '      retry_after: 1s');
    // retry_after on a limit/budget rule gets stateful-retry-after only (not retry-after-not-throttle as well).
    expect(ds.map((d) => d.code).sort()).toEqual(['clamp-needs-usage', 'stateful-decision', 'stateful-retry-after', 'timezone-without-calendar']);
  });

  test('a valid limit and budget load without diagnostics', () => {
    expect(diagnose('      limit: { key: user.id, cost: "request.tokens", max: 100, window: 1m }', '      decision: throttle')).toEqual([]);
    expect(
      diagnose('      budget:', '        key: team.id', '        limit: team.monthly_budget', '        period: month', '        timezone: Europe/Paris', '        usage: { model: request.model, input_tokens: "1", output_tokens: request.max_tokens }', '        warn_at: 0.8', '        on_exceed: clamp', '        reservation_ttl: 30m', '      decision: deny'),
    ).toEqual([]);
  });

  test('the engine does not build, and says where', async () => {
    const text = [...HEAD, '      limit: { key: user.id, requests: 1, window: 1m }', '      decision: warn', ''].join('\n');
    const err = await PolicyEngine.builder().withPolicyText(text, 'x.yaml').build().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyLoadError);
    expect((err as PolicyLoadError).message).toContain("x.yaml:8:17: a rule with a limit decides what happens to a request that would exceed it, which can only be throttle or deny, not 'warn'");
  });

  test('a CEL syntax error in a limit expression is reported at the expression', async () => {
    const text = [...HEAD, '      limit: { key: "user.id +", requests: 1, window: 1m }', '      decision: throttle', ''].join('\n');
    const err = (await PolicyEngine.builder().withPolicyText(text, 'x.yaml').build().catch((e: unknown) => e)) as PolicyLoadError;
    expect(err.diagnostics).toEqual([expect.objectContaining({ code: 'cel-syntax', pos: at(7, 31), message: expect.stringMatching(/^limit.key: /) })]);
  });
});

describe('limit and budget expression types', () => {
  async function typeErrors(...lines: string[]) {
    const text = [...HEAD, ...lines, ''].join('\n');
    const err = (await PolicyEngine.builder().withPolicyText(text, 'x.yaml').build().catch((e: unknown) => e)) as PolicyLoadError;
    expect(err).toBeInstanceOf(PolicyLoadError);
    return err.diagnostics.map((d) => ({ code: d.code, message: d.message, line: d.pos?.line }));
  }

  test('a string where a number is needed fails at load, naming the part', async () => {
    expect(await typeErrors('      limit: { key: user.id, cost: "size(request.prompt) > 0", max: 10, window: 1m }', '      decision: throttle')).toEqual([
      { code: 'cel-not-number', message: 'limit.cost must be a number, but this expression is a bool', line: 7 },
    ]);
  });

  test('every numeric part of a budget is checked, and the model must be a string', async () => {
    const ds = await typeErrors(
      '      budget:',
      '        key: user.id',
      '        limit: "\'a lot\'"',
      '        period: day',
      '        usage: { model: "1", input_tokens: "[1]", output_tokens: "{}" }',
      '      decision: deny',
    );
    expect(ds.map((d) => d.message)).toEqual([
      'budget.limit must be a number, but this expression is a string',
      'budget.usage.model must be a string, but this expression is a int',
      'budget.usage.input_tokens must be a number, but this expression is a list(int)',
      'budget.usage.output_tokens must be a number, but this expression is a map(dyn, dyn)',
    ]);
  });

  test('context fields (dyn without a schema) and numbers of any kind pass', async () => {
    const text = [...HEAD, '      limit: { key: user.id, cost: "request.max_tokens", max: "1000.5", window: 1m }', '      decision: throttle', ''].join('\n');
    await expect(PolicyEngine.builder().withPolicyText(text, 'x.yaml').build()).resolves.toBeDefined();
  });
});

describe('limit and budget shapes', () => {
  test('`requests` together with `cost` gets a specific message, not the generic oneOf violation', () => {
    const d = only(diagnose('      limit: { key: user.id, requests: 1, cost: "1", max: 10, window: 1m }', '      decision: throttle'));
    expect(d.code).not.toBe('schema-violation');
    expect(d.message).toMatch(/requests/);
    expect(d.message).toMatch(/cost/);
  });

  test('warn_at out of range gets a code of its own, not schema-violation', () => {
    const d = only(diagnose('      budget: { key: user.id, limit: 1, period: day, amount: "1", warn_at: 1.5 }', '      decision: deny'));
    expect(d.code).toBe('invalid-value');
  });
});
