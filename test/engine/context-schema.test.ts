// PolicySet.spec.context_schema: types for the checker (unknown fields and
// type mismatches are build errors) and constraints for contexts at run time
// (schema_violation: warn, deny or ignore).

import { describe, expect, it } from 'vitest';
import { compileContextSchema } from '../../src/engine/context-schema.js';
import { PolicyLoadError } from '../../src/engine/engine.js';
import { type Obj, engineOf, policy, policySet } from './helpers.js';

const schema = {
  type: 'object',
  properties: {
    request: {
      type: 'object',
      additionalProperties: false,
      required: ['model'],
      properties: {
        model: { type: 'string', enum: ['gpt-4o', 'gpt-4o-mini'] },
        max_tokens: { type: 'integer', minimum: 1, maximum: 100000 },
        prompt: { type: 'string', maxLength: 5 },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
      },
    },
    user: { type: 'object', properties: { id: { type: 'string', pattern: '^u-[0-9]+$' } } },
  },
};

const rule = { id: 'big', when: 'request.max_tokens > 1000.0', decision: 'deny', reason: 'too big' };

function withSchema(mode: string | undefined, rules: Obj[] = [rule], s: Obj = schema): Obj[] {
  return [policySet({ context_schema: s, ...(mode ? { schema_violation: mode } : {}) }), policy('p', { rules })];
}

async function loadError(docs: Obj[]): Promise<PolicyLoadError> {
  const e = await engineOf(docs).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(PolicyLoadError);
  return e as PolicyLoadError;
}

const bad = { request: { model: 'o1', max_tokens: 0, extra: true, tags: ['a', 'b', 3] }, user: { id: 'bob' } };

describe('context schema', () => {
  it('types expressions: an unknown field is a build error with its position', async () => {
    const err = await loadError(withSchema(undefined, [{ id: 'typo', when: "request.modle == 'x'", decision: 'deny' }]));
    expect(err.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code: 'cel-undefined-field', policy: 'p', rule: 'typo' })]);
    expect(err.diagnostics[0]!.message).toMatch(/modle/);
    expect(err.diagnostics[0]!.pos.file).toBe('policies.yaml');
    expect(err.diagnostics[0]!.pos.line).toBeGreaterThan(1);
    expect(err.message).toMatch(/policies\.yaml:\d+:\d+: when: .*modle/);
  });

  it('types expressions: a type mismatch is a build error', async () => {
    const err = await loadError(withSchema(undefined, [{ id: 'cmp', when: "request.max_tokens > 'many'", decision: 'deny' }]));
    expect(err.diagnostics.map((d) => d.code)).toEqual(['cel-no-matching-overload']);
  });

  it('types expressions: variables outside the schema are undeclared', async () => {
    const err = await loadError(withSchema(undefined, [{ id: 'env', when: "environment == 'prod'", decision: 'deny' }]));
    expect(err.diagnostics.map((d) => d.code)).toEqual(['cel-undeclared']);
  });

  it('accepts well-typed expressions over the declared fields', async () => {
    const engine = await engineOf(withSchema(undefined, [rule, { id: 'tags', when: "request.tags.exists(t, t.startsWith('x'))", decision: 'warn' }]));
    expect(engine.evaluateSync({ request: { model: 'gpt-4o', max_tokens: 2000 } }).decision).toBe('deny');
  });

  it('warns by default: the violations become warnings and the policies still decide', async () => {
    const engine = await engineOf(withSchema(undefined));
    const d = engine.evaluateSync(bad);
    expect(d.decision).toBe('allow');
    expect(d.warnings).toEqual([
      'context.request.model: must be one of "gpt-4o", "gpt-4o-mini"',
      'context.request.max_tokens: 0 is below the minimum 1',
      'context.request.extra: not allowed (additionalProperties is false)',
      'context.request.tags: more than 2 items',
      'context.request.tags[2]: expected string, got integer',
      'context.user.id: does not match ^u-[0-9]+$',
    ]);
    const ok = engine.evaluateSync({ request: { model: 'gpt-4o', max_tokens: 5000 }, user: { id: 'u-1' } });
    expect(ok.warnings).toEqual([]);
    expect(ok.decision).toBe('deny');
    // A missing required field.
    expect(engine.evaluateSync({ request: { max_tokens: 1 } }).warnings).toEqual(['context.request.model: required']);
  });

  it('warn mode keeps warnings on cached decisions', async () => {
    const engine = await engineOf(withSchema('warn'), { cache: true });
    const first = engine.evaluateSync(bad);
    const second = engine.evaluateSync(bad);
    expect(second.cached).toBe(true);
    expect(second.warnings).toEqual(first.warnings);
    expect(engine.evaluateSync({ request: { model: 'gpt-4o', max_tokens: 0 } }).warnings).toEqual(['context.request.max_tokens: 0 is below the minimum 1']);
  });

  it('deny mode denies with the violations in the reason', async () => {
    const engine = await engineOf(withSchema('deny'));
    const d = engine.evaluateSync(bad);
    expect(d.decision).toBe('deny');
    expect(d.allowed).toBe(false);
    expect(d.matched).toEqual([]);
    expect(d.reason).toBe(
      'the context does not match the declared context schema: context.request.model: must be one of "gpt-4o", "gpt-4o-mini"; ' +
        'context.request.max_tokens: 0 is below the minimum 1; context.request.extra: not allowed (additionalProperties is false); and 3 more',
    );
    const ok = engine.evaluateSync({ request: { model: 'gpt-4o', max_tokens: 5 } });
    expect(ok.decision).toBe('allow');
    expect(ok.warnings).toEqual([]);
  });

  it('ignore mode neither warns nor denies', async () => {
    const engine = await engineOf(withSchema('ignore'));
    const d = engine.evaluateSync(bad);
    expect(d.decision).toBe('allow');
    expect(d.warnings).toEqual([]);
  });

  it('counts string lengths in code points', async () => {
    const engine = await engineOf(withSchema('warn'));
    expect(engine.evaluateSync({ request: { model: 'gpt-4o', prompt: '😀😀😀😀😀' } }).warnings).toEqual([]);
    expect(engine.evaluateSync({ request: { model: 'gpt-4o', prompt: '😀😀😀😀😀😀' } }).warnings).toEqual(['context.request.prompt: longer than 5 characters']);
  });

  it('rejects unsupported keywords at build time, naming them', async () => {
    const s = { ...schema, properties: { ...schema.properties, team: { type: 'object', patternProperties: { '^x': { type: 'string' } } } } };
    const err = await loadError(withSchema('warn', [rule], s));
    expect(err.diagnostics).toEqual([expect.objectContaining({ code: 'invalid-context-schema' })]);
    expect(err.diagnostics[0]!.message).toMatch(/context_schema\.properties\.team\.patternProperties: keyword 'patternProperties' is not supported/);
    expect(err.diagnostics[0]!.pos).toMatchObject({ file: 'policies.yaml', line: 1 });
  });

  it('reports every problem of a schema', () => {
    const r = compileContextSchema({ type: 'object', properties: { a: { type: 'strnig' }, b: { minimum: 'x', oneOf: [] }, c: { pattern: '(' } } });
    expect(r.schema).toBeUndefined();
    expect(r.problems.map((p) => p.path)).toEqual(['properties.a.type', 'properties.b.oneOf', 'properties.b.minimum', 'properties.c.pattern']);
  });

  it('requires an object schema with properties', () => {
    expect(compileContextSchema({ type: 'string' }).problems).toHaveLength(1);
  });
});
