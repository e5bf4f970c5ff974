// schema/policy.schema.json is what editors use; it must be valid draft-07,
// describe every key, close every object, and accept every valid fixture.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, test } from 'vitest';
import { fixture, rel, ROOT } from './helpers.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'policy.schema.json'), 'utf8')) as Record<string, unknown>;
type Obj = Record<string, unknown>;

function walk(value: unknown, path: string, visit: (node: Obj, path: string) => void): void {
  if (value === null || typeof value !== 'object') return;
  if (!Array.isArray(value)) visit(value as Obj, path);
  for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`, visit);
}

function resolve(s: unknown): Obj {
  let node = s as Obj;
  while (typeof node.$ref === 'string') {
    node = node.$ref
      .slice(2)
      .split('/')
      .reduce<Obj>((o, k) => o[k] as Obj, schema);
  }
  return node;
}

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

describe('schema/policy.schema.json', () => {
  test('is a valid draft-07 schema and compiles in strict mode', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true, strictRequired: false, allowUnionTypes: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  test('every property and every definition has a description', () => {
    const missing: string[] = [];
    walk(schema, '', (node, path) => {
      if (path.startsWith('/definitions/') && path.split('/').length === 3 && typeof node.description !== 'string') missing.push(path);
      const props = node.properties;
      if (props === undefined || path.includes('/if')) return;
      for (const [key, sub] of Object.entries(props as Obj)) {
        const own = (sub as Obj).description;
        if (typeof own !== 'string' && typeof resolve(sub).description !== 'string') missing.push(`${path}/properties/${key}`);
      }
    });
    expect(missing).toEqual([]);
  });

  test('every object with properties is closed (additionalProperties: false)', () => {
    const open: string[] = [];
    walk(schema, '', (node, path) => {
      if (node.properties !== undefined && !path.includes('/if') && node.additionalProperties !== false) open.push(path);
    });
    expect(open).toEqual([]);
  });

  test('every valid fixture validates against it, documents and JSON arrays alike', () => {
    const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
    const checked: string[] = [];
    for (const file of files(fixture('valid'))) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        const value = doc.toJS() as unknown;
        if (value === null) continue;
        expect(validate(value), `${rel(file)}: ${JSON.stringify(validate.errors)}`).toBe(true);
        checked.push(rel(file));
      }
    }
    expect(new Set(checked).size).toBeGreaterThanOrEqual(6);
  });

  test('editors see the same mistakes the loader reports', () => {
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    const base = { apiVersion: 'policy.llm/v1', kind: 'Policy', metadata: { name: 'p' } };
    expect(validate({ ...base, spec: { rules: [{ id: 'r', decision: 'deny' }] } })).toBe(true);
    expect(validate({ ...base, spec: { rules: [{ id: 'r', decision: 'deny', whne: 'x' }] } })).toBe(false);
    expect(validate({ ...base, spec: { rules: [{ id: 'r', decision: 'block' }] } })).toBe(false);
    expect(validate({ ...base, spec: { rules: [{ id: 'r', decision: 'throttle', retry_after: '10 minutes' }] } })).toBe(false);
    expect(validate({ ...base, spec: { rules: [{ id: 'r', decision: 'modify', modify: [{ set: 'request.model' }] }] } })).toBe(false);
    expect(validate({ ...base, kind: 'PolicySet', spec: {} })).toBe(true);
    expect(validate({ ...base, kind: 'PolicySet', spec: { rules: [] } })).toBe(false);
    expect(validate({ ...base, kind: 'Gadget' })).toBe(false);
  });
});
