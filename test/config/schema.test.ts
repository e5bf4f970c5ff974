// The configuration schema: schema/config.schema.json is an exact copy of
// CONFIG_SCHEMA (UPDATE_CONFIG_SCHEMA=1 rewrites it), valid draft-07, strict
// everywhere, with the defaults of DEFAULT_CONFIG, and it has exactly the
// deployment guide's keys plus ours.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { CONFIG_SCHEMA, DEFAULT_CONFIG, type JsonSchema } from '../../src/config/index.js';
import { ROOT } from './helpers.js';

const FILE = join(ROOT, 'schema', 'config.schema.json');
const text = JSON.stringify(CONFIG_SCHEMA, null, 2) + '\n';
if (process.env.UPDATE_CONFIG_SCHEMA === '1') writeFileSync(FILE, text);

/** Every object schema with its path, and every leaf. */
function walk(schema: JsonSchema, path: string[] = [], out: { sections: [string, JsonSchema][]; leaves: [string, JsonSchema][] } = { sections: [], leaves: [] }) {
  if (schema.type === 'object') {
    out.sections.push([path.join('.'), schema]);
    for (const [k, sub] of Object.entries(schema.properties as Record<string, JsonSchema>)) walk(sub, [...path, k], out);
  } else {
    out.leaves.push([path.join('.'), schema]);
  }
  return out;
}

function leafPaths(value: unknown, path: string[] = []): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
  return [path.join('.')];
}

function valueAt(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], root);
}

const { sections, leaves } = walk(CONFIG_SCHEMA);

/** Keys beyond the deployment guide's file (ours). */
const OURS = [
  'server.tls.ca_file',
  'server.limits.max_batch_size',
  'audit.buffer_size',
  'limits.store',
  'limits.redis_url',
  'limits.key_prefix',
  'limits.fail_mode',
  'limits.command_timeout_ms',
  'pricing.file',
];

describe('schema/config.schema.json', () => {
  test('is CONFIG_SCHEMA, written out (run the tests with UPDATE_CONFIG_SCHEMA=1 to rewrite it)', () => {
    expect(readFileSync(FILE, 'utf8'), 'schema/config.schema.json differs from src/config/schema.ts: run UPDATE_CONFIG_SCHEMA=1 npx vitest run test/config/schema.test.ts').toBe(text);
  });

  test('compiles as draft-07 in ajv strict mode', () => {
    const schema = JSON.parse(readFileSync(FILE, 'utf8')) as JsonSchema;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true, allErrors: true });
    expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    const validate = ajv.compile(schema);
    // The defaults, written out, are a valid file; so is an empty one.
    expect(validate(JSON.parse(JSON.stringify(DEFAULT_CONFIG))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({})).toBe(true);
  });

  test('every section is closed (additionalProperties: false) and described', () => {
    for (const [path, s] of sections) {
      expect(s.additionalProperties, path).toBe(false);
      expect(typeof s.description, path).toBe('string');
    }
    expect(sections.map(([p]) => p).filter((p) => !p.includes('.'))).toEqual(['', 'server', 'registry', 'cache', 'runtime', 'integrations', 'logging', 'metrics', 'tracing', 'audit', 'features', 'debug', 'limits', 'pricing']);
  });

  test('every key has a type, a description and the default of DEFAULT_CONFIG', () => {
    for (const [path, s] of leaves) {
      expect(s.type, path).toBeDefined();
      expect((s.description as string).length, path).toBeGreaterThan(10);
      if (path === 'server.tls.ca_file') {
        expect(s.default, 'ca_file is optional, without a default').toBeUndefined();
        continue;
      }
      expect(s.default, path).toEqual(valueAt(DEFAULT_CONFIG, path));
    }
  });

  test('the schema has exactly the keys of DEFAULT_CONFIG (plus the optional ca_file)', () => {
    expect(leaves.map(([p]) => p).sort()).toEqual([...leafPaths(DEFAULT_CONFIG), 'server.tls.ca_file'].sort());
  });

  test("the schema has exactly the deployment guide's keys, plus ours", () => {
    // examples/config/production.yaml is the guide's example file, unchanged: it writes every key of the guide.
    const guide = leafPaths(parse(readFileSync(join(ROOT, 'examples', 'config', 'production.yaml'), 'utf8')));
    expect(guide.length).toBeGreaterThan(100);
    expect(leaves.map(([p]) => p).filter((p) => !OURS.includes(p)).sort()).toEqual([...guide].sort());
  });

  test('ranges: ports 1-65535, sizes and timeouts above 0, sample_rate 0..1; enums', () => {
    const leaf = (p: string): JsonSchema => leaves.find(([q]) => q === p)![1];
    for (const p of ['metrics.prometheus.port', 'metrics.statsd.port', 'tracing.jaeger.agent_port', 'debug.pprof_port']) expect(leaf(p), p).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    for (const p of ['server.limits.max_request_size_mb', 'server.limits.request_timeout_seconds', 'logging.file.max_size_mb', 'audit.file.max_size_mb']) expect(leaf(p), p).toMatchObject({ exclusiveMinimum: 0 });
    expect(leaf('tracing.opentelemetry.sample_rate')).toMatchObject({ minimum: 0, maximum: 1 });
    expect(leaf('logging.level').enum).toEqual(['trace', 'debug', 'info', 'warn', 'error']);
    expect(leaf('cache.decision_cache.eviction_policy').enum).toEqual(['lru', 'lfu', 'ttl']);
    expect(leaf('registry.auth.type').enum).toEqual(['token', 'mtls', 'oauth2']);
    expect(leaf('audit.output').enum).toEqual(['governance', 'file', 'stdout']);
    const address = new RegExp(leaf('server.listen_address').pattern as string);
    for (const ok of ['0.0.0.0:50051', '127.0.0.1:1', 'localhost:65535', '[::]:8080', '[::1]:9090', 'policy-engine.policy-system.svc:50051']) expect(address.test(ok), ok).toBe(true);
    for (const bad of ['0.0.0.0', ':8080', '0.0.0.0:0', '0.0.0.0:65536', '0.0.0.0:080', 'http://0.0.0.0:8080', ':::8080', 'a b:80', '0.0.0.0:8080/']) expect(address.test(bad), bad).toBe(false);
  });
});
