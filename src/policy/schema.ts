// schema/policy.schema.json, compiled once with ajv. The same file serves
// editors (yaml-language-server, VS Code) and the loader, so the two cannot
// disagree about what a valid document is.

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

export type DocumentKind = 'Policy' | 'PolicySet' | 'PolicyTest';
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['Policy', 'PolicySet', 'PolicyTest'];

export type JsonSchema = Readonly<Record<string, unknown>>;

export interface PolicySchema {
  readonly schema: JsonSchema;
  /** Validates one document of the given kind (allErrors, with parentSchema on every error). */
  validate(kind: DocumentKind, value: unknown): ErrorObject[];
  /** JSON pointer of a subschema inside the schema file, e.g. `/definitions/duration`. */
  locationOf(subschema: unknown): string | undefined;
  /** A subschema by pointer; local `$ref`s are followed. */
  resolve(subschema: unknown): JsonSchema | undefined;
}

/** Works from src/policy (tests) and from dist/policy (the built package): both are two levels below the root. */
const SCHEMA_URL = new URL('../../schema/policy.schema.json', import.meta.url);

let instance: PolicySchema | undefined;

export function policySchema(): PolicySchema {
  instance ??= compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema);
  return instance;
}

function compile(schema: JsonSchema): PolicySchema {
  const ajv = new Ajv({
    allErrors: true,
    // parentSchema on each error lets the translator tell a duration from a name.
    verbose: true,
    // Expressions are strings, numbers or booleans.
    allowUnionTypes: true,
    strict: true,
    // `required` inside if/oneOf branches names properties declared beside them, which strict mode would reject.
    strictRequired: false,
  });
  ajv.addSchema(schema, 'policy');
  const validators = new Map<DocumentKind, ValidateFunction>();
  for (const kind of DOCUMENT_KINDS) {
    const v = ajv.getSchema(`policy#/definitions/${kind}`);
    if (!v) throw new Error(`schema/policy.schema.json lacks definitions/${kind}`);
    validators.set(kind, v);
  }
  const locations = indexLocations(schema);

  return {
    schema,
    validate(kind, value) {
      const v = validators.get(kind);
      if (!v || v(value)) return [];
      return [...(v.errors ?? [])];
    },
    locationOf(subschema) {
      return subschema !== null && typeof subschema === 'object' ? locations.get(subschema) : undefined;
    },
    resolve(subschema) {
      let s = subschema;
      for (let hops = 0; hops < 10 && isObject(s) && typeof s.$ref === 'string'; hops++) s = pointer(schema, s.$ref);
      return isObject(s) ? s : undefined;
    },
  };
}

/** Every object in the schema, keyed by identity, to its JSON pointer. */
function indexLocations(schema: JsonSchema): WeakMap<object, string> {
  const map = new WeakMap<object, string>();
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    map.set(value, path);
    for (const [k, v] of Object.entries(value)) walk(v, `${path}/${k}`);
  };
  walk(schema, '');
  return map;
}

function pointer(schema: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let value: unknown = schema;
  for (const part of ref.slice(2).split('/')) {
    if (!isObject(value)) return undefined;
    value = value[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
