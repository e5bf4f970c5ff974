import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { documentHash, loadPolicySources, loadPolicyText } from '../../src/policy/index.js';
import type { PolicyDoc, PolicySetDoc, PolicyTestDoc } from '../../src/policy/types.js';
import { fixture, plain, positions } from './helpers.js';

describe('valid documents', () => {
  test('a full policy loads to the exact structure, defaults applied', async () => {
    const file = fixture('valid', 'budget-guard.yaml');
    const { documents, diagnostics, files } = await loadPolicySources([file]);
    expect(diagnostics).toEqual([]);
    expect(files).toEqual([file]);
    expect(documents).toHaveLength(1);
    const doc = documents[0] as PolicyDoc;
    const { p, t } = positions(file);
    expect(plain(doc)).toEqual({
      kind: 'Policy',
      file,
      pos: p(2, 1),
      metadata: {
        name: 'budget-guard',
        namespace: 'production',
        description: 'Keeps teams inside their monthly LLM budget.',
        labels: { owner: 'finance' },
        annotations: { runbook: 'https://wiki.example.com/budget' },
      },
      priority: 100,
      target: t("request.environment == 'production'", 13, 12),
      failOpen: false,
      lets: [
        { name: 'est_cost', expr: t('request.max_tokens * 0.00001', 16, 16) },
        { name: 'over_budget', expr: t('user.budget.spent + est_cost > user.budget.limit', 17, 18) },
      ],
      rules: [
        {
          id: 'monthly-budget',
          pos: p(19, 7),
          description: 'Hard stop at the monthly limit.',
          when: t('over_budget', 21, 13),
          unless: t("'finance.override' in user.permissions", 22, 16),
          decision: 'deny',
          reason: t('Monthly budget of ${user.budget.limit} reached', 24, 16),
          severity: 'high',
          mode: 'enforce',
          suggest: { model: t('gpt-4o-mini', 25, 25) },
          modify: [],
          labels: { team: 'finance' },
        },
        {
          id: 'near-budget',
          pos: p(27, 7),
          when: t('user.budget.spent + est_cost > user.budget.limit * 0.9\n', 29, 9),
          decision: 'modify',
          severity: 'low',
          mode: 'shadow',
          suggest: {},
          modify: [
            { op: 'set', path: 'request.model', value: 'gpt-4o-mini', pos: p(34, 11) },
            { op: 'set', path: 'request.temperature', expr: t('0.2 * 2.0', 35, 46), pos: p(35, 11) },
            { op: 'clamp', path: 'request.max_tokens', max: t('1024', 36, 45), pos: p(36, 11) },
            { op: 'clamp', path: 'request.top_p', min: t('0.1', 37, 40), max: t('1.0', 37, 50), pos: p(37, 11) },
            { op: 'remove', path: 'request.tools', pos: p(38, 11) },
          ],
          labels: {},
        },
        {
          id: 'burst',
          pos: p(39, 7),
          when: t("request.max_tokens > 4000 &&\n  user.tier == 'free'\n", 41, 9),
          decision: 'throttle',
          severity: 'medium',
          mode: 'enforce',
          suggest: {},
          modify: [],
          retryAfterMs: 90_000,
          labels: {},
        },
        {
          id: 'audit-large',
          pos: p(45, 7),
          when: t('request.max_tokens >= 8192', 46, 13),
          decision: 'warn',
          severity: 'medium',
          mode: 'enforce',
          reason: t('Large completion requested', 49, 15),
          suggest: {},
          modify: [],
          labels: {},
        },
      ],
      hash: doc.hash,
    });
    expect(doc.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('several YAML documents per file, comment-only documents skipped', async () => {
    const file = fixture('valid', 'multi.yaml');
    const { documents, diagnostics } = await loadPolicySources([file]);
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => d.kind)).toEqual(['PolicySet', 'Policy', 'Policy']);
    const { p } = positions(file);
    const set = documents[0] as PolicySetDoc;
    expect(plain(set)).toEqual({
      kind: 'PolicySet',
      file,
      pos: p(1, 1),
      name: 'main',
      defaultDecision: 'deny',
      contextSchema: {
        type: 'object',
        properties: { request: { type: 'object', properties: { model: { type: 'string' } } } },
      },
      contextSchemaPos: p(10, 5),
      schemaViolation: 'deny',
      variables: ['tenant', 'region_config'],
      numericPromotion: false,
    });
    const [, a, b] = documents as PolicyDoc[];
    // Same name, different namespaces: both load.
    expect([a.metadata.namespace, a.metadata.name, a.priority]).toEqual(['default', 'allow-all', 0]);
    expect([b.metadata.namespace, b.metadata.name, b.priority]).toEqual(['staging', 'allow-all', -5]);
    expect(b.pos).toEqual(p(27, 1));
    // `when: true` is a YAML boolean, handed on as CEL text.
    expect(plain(b.rules[0].when)).toEqual({ text: 'true', pos: p(34, 13) });
    expect(a.metadata.labels).toEqual({});
    expect(a.metadata.annotations).toEqual({});
    expect(a.metadata.description).toBeUndefined();
    expect(a.target).toBeUndefined();
    expect(a.failOpen).toBe(false);
    expect(a.lets).toEqual([]);
  });

  test('a PolicySet without spec gets every default', () => {
    const { documents, diagnostics } = loadPolicyText('apiVersion: policy.llm/v1\nkind: PolicySet\nmetadata: { name: s }\n', 'set.yaml');
    expect(diagnostics).toEqual([]);
    expect(plain(documents[0])).toEqual({
      kind: 'PolicySet',
      file: 'set.yaml',
      pos: { file: 'set.yaml', line: 1, column: 1 },
      name: 's',
      defaultDecision: 'allow',
      schemaViolation: 'warn',
      variables: [],
      numericPromotion: true,
    });
  });

  test('PolicyTest: snake_case expectations become camelCase, policies default to the directory', async () => {
    const file = fixture('valid', 'tests', 'budget.test.yaml');
    const defaults = fixture('valid', 'tests', 'defaults.test.yaml');
    const { documents, diagnostics } = await loadPolicySources([file, defaults]);
    expect(diagnostics).toEqual([]);
    const { p } = positions(file);
    expect(plain(documents[0])).toEqual({
      kind: 'PolicyTest',
      file,
      pos: p(1, 1),
      name: 'budget-guard-tests',
      policies: ['../budget-guard.yaml'],
      now: '2025-03-01T09:30:00Z',
      cases: [
        {
          name: 'over budget is denied',
          pos: p(8, 7),
          context: {
            request: { environment: 'production', max_tokens: 1000 },
            user: { budget: { spent: 100, limit: 100 }, permissions: [] },
          },
          expect: {
            decision: 'deny',
            matched: ['budget-guard/monthly-budget'],
            shadowMatched: ['budget-guard/near-budget'],
            reason: 'Monthly budget of 100 reached',
            obligations: { suggestions: { model: 'gpt-4o-mini' } },
            errors: 0,
          },
          repeat: 1,
        },
        {
          name: 'finance can override',
          pos: p(19, 7),
          now: '2025-03-02T10:00:00.5+01:00',
          context: {
            request: { environment: 'production', max_tokens: 10 },
            user: { budget: { spent: 100, limit: 100 }, permissions: ['finance.override'] },
          },
          expect: { reasonContains: 'budget' },
          repeat: 1,
        },
      ],
    });
    const d = documents[1] as PolicyTestDoc;
    expect(d.policies).toEqual(['.']);
    expect(d.now).toBeUndefined();
  });

  test('JSON: a single document, and an array of documents', async () => {
    const single = fixture('valid', 'single.json');
    const array = fixture('valid', 'policies.json');
    const { documents, diagnostics } = await loadPolicySources([single, array]);
    expect(diagnostics).toEqual([]);
    const [s, one, two] = documents as PolicyDoc[];
    expect(s.metadata).toEqual({ name: 'json-single', namespace: 'default', labels: { source: 'json' }, annotations: {} });
    expect(s.pos).toEqual({ file: single, line: 1, column: 1 });
    expect(one.metadata.name).toBe('json-one');
    expect(one.pos).toEqual({ file: array, line: 2, column: 3 });
    // Inside a JSON string, `\"` is one character: the offset map accounts for it.
    const when = one.rules[0].when!;
    expect(when.text).toBe('request.model == "gpt-4"');
    expect(when.pos).toEqual({ file: array, line: 8, column: 37 });
    expect(when.at(17)).toEqual({ file: array, line: 8, column: 54 });
    expect(when.at(18)).toEqual({ file: array, line: 8, column: 56 });
    expect(two.rules[0].modify).toEqual([
      { op: 'clamp', path: 'request.max_tokens', max: expect.objectContaining({ text: '2048' }), pos: { file: array, line: 16, column: 73 } },
    ]);
  });

  test('expression fields take YAML numbers and booleans as CEL text, keeping CEL-readable spellings', () => {
    const yaml = [
      'apiVersion: policy.llm/v1',
      'kind: Policy',
      'metadata: { name: n }',
      'spec:',
      '  target: false',
      '  let: { a: 1.0, b: 0x1F, c: 0o17, d: +5, e: 1e3, f: 2.50 }',
      '  rules:',
      '    - { id: r, when: 42, decision: modify, modify: [{ clamp: request.max_tokens, max: 007 }] }',
    ].join('\n');
    const { documents, diagnostics } = loadPolicyText(yaml, 'n.yaml');
    expect(diagnostics).toEqual([]);
    const doc = documents[0] as PolicyDoc;
    expect(doc.target?.text).toBe('false');
    expect(Object.fromEntries(doc.lets.map((l) => [l.name, l.expr.text]))).toEqual({
      a: '1.0',
      b: '0x1F',
      c: '15',
      d: '5',
      e: '1e3',
      f: '2.50',
    });
    expect(doc.rules[0].when?.text).toBe('42');
    const clamp = doc.rules[0].modify[0];
    expect(clamp.op === 'clamp' && clamp.max?.text).toBe('7');
    // Rewritten spellings map every offset to where the number starts.
    const c = doc.lets.find((l) => l.name === 'c')!.expr;
    expect([c.at(0), c.at(1)]).toEqual([c.pos, c.pos]);
  });

  test('lets keep the order they were written in', () => {
    const yaml = 'apiVersion: policy.llm/v1\nkind: Policy\nmetadata: {name: n}\nspec:\n  let: { z: "1", a: "z + 1", m: "a * 2" }\n  rules: [{id: r, decision: allow}]\n';
    const doc = loadPolicyText(yaml, 'n.yaml').documents[0] as PolicyDoc;
    expect(doc.lets.map((l) => l.name)).toEqual(['z', 'a', 'm']);
  });

  test('severity defaults follow the decision', () => {
    const rules = ['allow', 'deny', 'throttle', 'modify', 'warn']
      .map((d) => `    - { id: r-${d}, decision: ${d}${d === 'modify' ? ', modify: [{ remove: request.tools }]' : ''} }`)
      .join('\n');
    const yaml = `apiVersion: policy.llm/v1\nkind: Policy\nmetadata: {name: n}\nspec:\n  rules:\n${rules}\n`;
    const { documents, diagnostics } = loadPolicyText(yaml, 'n.yaml');
    expect(diagnostics).toEqual([]);
    const doc = documents[0] as PolicyDoc;
    expect(Object.fromEntries(doc.rules.map((r) => [r.decision, r.severity]))).toEqual({
      allow: 'info',
      deny: 'high',
      throttle: 'medium',
      modify: 'low',
      warn: 'low',
    });
  });

  test('a byte-order mark does not shift columns', () => {
    const { documents } = loadPolicyText('\uFEFFapiVersion: policy.llm/v1\nkind: PolicySet\nmetadata: { name: s }\n', 'bom.yaml');
    expect(documents[0].pos).toEqual({ file: 'bom.yaml', line: 1, column: 1 });
  });

  test('CRLF line endings', () => {
    const yaml = 'apiVersion: policy.llm/v1\r\nkind: Policy\r\nmetadata: { name: n }\r\nspec:\r\n  rules:\r\n    - id: r\r\n      when: "a &&\r\n        b"\r\n      decision: deny\r\n';
    const { documents, diagnostics } = loadPolicyText(yaml, 'crlf.yaml');
    expect(diagnostics).toEqual([]);
    const when = (documents[0] as PolicyDoc).rules[0].when!;
    expect(when.text).toBe('a && b');
    expect(when.pos).toEqual({ file: 'crlf.yaml', line: 7, column: 14 });
    expect(when.at(5)).toEqual({ file: 'crlf.yaml', line: 8, column: 9 });
    expect(when.lineText?.(5)).toBe('        b"');
  });
});

describe('hash', () => {
  test('is the sha256 of canonical JSON: formatting and key order do not change it, content does', () => {
    const a = loadPolicyText('apiVersion: policy.llm/v1\nkind: Policy\nmetadata: {name: n}\nspec: {rules: [{id: r, decision: deny}]}\n', 'a.yaml');
    const b = loadPolicyText(
      '# reordered and reformatted\nkind: Policy\napiVersion: policy.llm/v1\nspec:\n  rules:\n    - decision: deny\n      id: r\nmetadata:\n  name: n\n',
      'b.yaml',
    );
    const c = loadPolicyText('{"apiVersion":"policy.llm/v1","kind":"Policy","metadata":{"name":"n"},"spec":{"rules":[{"id":"r","decision":"allow"}]}}', 'c.json');
    const [ha, hb, hc] = [a, b, c].map((r) => (r.documents[0] as PolicyDoc).hash);
    expect(ha).toBe(hb);
    expect(hc).not.toBe(ha);
    expect(ha).toBe(documentHash({ apiVersion: 'policy.llm/v1', kind: 'Policy', metadata: { name: 'n' }, spec: { rules: [{ id: 'r', decision: 'deny' }] } }));
  });
});

describe('errors never throw and drop only the broken documents', () => {
  test('a bad document does not hide the good ones in the same file', () => {
    const text = readFileSync(fixture('valid', 'multi.yaml'), 'utf8').replace('default_decision: deny', 'default_decision: maybe');
    const { documents, diagnostics } = loadPolicyText(text, 'multi.yaml');
    expect(diagnostics.map((d) => d.code)).toEqual(['invalid-value']);
    expect(documents.map((d) => d.kind)).toEqual(['Policy', 'Policy']);
  });

  test('garbage input', () => {
    for (const text of ['\u0000\u0001', '{{{{', '- - - -', '"', '*a', '!!binary x', 'a: !!int x', ': :', '[1, 2', '%YAML 9.9\n---\na: 1']) {
      expect(() => loadPolicyText(text, 'x.yaml')).not.toThrow();
      expect(() => loadPolicyText(text, 'x.json')).not.toThrow();
      expect(loadPolicyText(text, 'x.yaml').documents).toEqual([]);
    }
  });

  test('diagnostics are sorted by file, line and column', async () => {
    const { diagnostics } = await loadPolicySources([fixture('invalid')]);
    const keys = diagnostics.map((d) => [d.pos.file, d.pos.line, d.pos.column] as const);
    const sorted = [...keys].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2]));
    expect(keys).toEqual(sorted);
    for (const d of diagnostics) {
      expect(d.pos.line).toBeGreaterThanOrEqual(1);
      expect(d.pos.column).toBeGreaterThanOrEqual(1);
      expect(d.code).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
    }
  });
});
