// A declared context schema (a subset of JSON Schema) serves twice: its
// types let the checker catch `request.modle` and `request.max_tokens > 'x'`
// at compile time, and its constraints validate contexts at run time when
// schema_violation is warn or deny.
//
// We interpret the subset ourselves instead of handing a policy author's
// schema to a code-generating validator: policy text must never become code.

import { compileRegex, type CompiledRegex } from '../cel/regex.js';
import { T, type Type } from '../cel/types.js';

export const SUPPORTED_KEYWORDS = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'description',
  'title',
  'default',
  'examples',
  '$comment',
] as const;

const SUPPORTED = new Set<string>(SUPPORTED_KEYWORDS);
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

export interface SchemaProblem {
  /** JSON pointer-ish path inside the schema, e.g. properties.request.properties.model. */
  readonly path: string;
  readonly message: string;
}

interface Node {
  readonly types?: readonly string[];
  readonly properties?: ReadonlyMap<string, Node>;
  readonly required?: readonly string[];
  /** undefined: any extra property; false: none; a Node: extras must match it. */
  readonly additional?: false | Node;
  readonly items?: Node;
  readonly enumValues?: readonly unknown[];
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: number;
  readonly exclusiveMax?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly pattern?: CompiledRegex;
}

export interface ContextSchema {
  /** Top-level properties become the CEL variables, with these types. */
  readonly variables: ReadonlyMap<string, Type>;
  /** Problems of a context, each "path: message"; empty when valid. */
  validate(context: unknown, limit?: number): string[];
}

/** Compiles a schema; problems (unsupported keywords, wrong shapes) are returned, not thrown. */
export function compileContextSchema(schema: Readonly<Record<string, unknown>>): { schema?: ContextSchema; problems: SchemaProblem[] } {
  const problems: SchemaProblem[] = [];
  const root = node(schema, '', problems);
  if (!root.types?.includes('object') || !root.properties) {
    problems.push({ path: '', message: "the context schema must be `type: object` with `properties` (one per top-level variable, e.g. request, user)" });
  }
  if (problems.length) return { problems };
  const variables = new Map<string, Type>();
  for (const [name, n] of root.properties!) variables.set(name, toType(n, name));
  return {
    problems,
    schema: {
      variables,
      validate: (context, limit = 20) => {
        const out: string[] = [];
        check(root, context, 'context', out, limit);
        return out;
      },
    },
  };
}

function node(s: unknown, path: string, problems: SchemaProblem[]): Node {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    problems.push({ path, message: 'a schema must be an object' });
    return {};
  }
  const o = s as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!SUPPORTED.has(k)) {
      problems.push({ path: join(path, k), message: `keyword '${k}' is not supported in context schemas; supported: ${SUPPORTED_KEYWORDS.join(', ')}` });
    }
  }
  const n: { -readonly [K in keyof Node]: Node[K] } = {};
  if (o.type !== undefined) {
    const ts = Array.isArray(o.type) ? o.type : [o.type];
    for (const t of ts) if (typeof t !== 'string' || !TYPES.has(t)) problems.push({ path: join(path, 'type'), message: `unknown type '${String(t)}'` });
    n.types = ts as string[];
  }
  if (o.properties !== undefined) {
    if (typeof o.properties !== 'object' || o.properties === null) problems.push({ path: join(path, 'properties'), message: 'properties must be an object' });
    else {
      const m = new Map<string, Node>();
      for (const [k, v] of Object.entries(o.properties)) m.set(k, node(v, join(join(path, 'properties'), k), problems));
      n.properties = m;
      n.types ??= ['object'];
    }
  }
  if (o.required !== undefined) {
    if (!Array.isArray(o.required) || !o.required.every((x) => typeof x === 'string')) problems.push({ path: join(path, 'required'), message: 'required must be a list of property names' });
    else n.required = o.required;
  }
  if (o.additionalProperties !== undefined) {
    if (o.additionalProperties === false) n.additional = false;
    else if (o.additionalProperties !== true) n.additional = node(o.additionalProperties, join(path, 'additionalProperties'), problems);
  }
  if (o.items !== undefined) n.items = node(o.items, join(path, 'items'), problems);
  if (o.enum !== undefined) {
    if (!Array.isArray(o.enum)) problems.push({ path: join(path, 'enum'), message: 'enum must be a list' });
    else n.enumValues = o.enum;
  }
  if (o.const !== undefined) n.enumValues = [o.const];
  const num = (k: string): number | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') {
      problems.push({ path: join(path, k), message: `${k} must be a number` });
      return undefined;
    }
    return v;
  };
  n.min = num('minimum');
  n.max = num('maximum');
  n.exclusiveMin = num('exclusiveMinimum');
  n.exclusiveMax = num('exclusiveMaximum');
  n.minLength = num('minLength');
  n.maxLength = num('maxLength');
  n.minItems = num('minItems');
  n.maxItems = num('maxItems');
  if (o.pattern !== undefined) {
    if (typeof o.pattern !== 'string') problems.push({ path: join(path, 'pattern'), message: 'pattern must be a string' });
    else {
      try {
        n.pattern = compileRegex(o.pattern);
      } catch (e) {
        problems.push({ path: join(path, 'pattern'), message: (e as Error).message ?? String(e) });
      }
    }
  }
  return n;
}

function join(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}

/** CEL type of a schema node. JSON numbers are doubles at run time, so `integer` is double too. */
function toType(n: Node, name: string): Type {
  const ts = (n.types ?? []).filter((t) => t !== 'null');
  if (ts.length !== 1) return T.dyn;
  switch (ts[0]) {
    case 'string':
      return T.string;
    case 'number':
    case 'integer':
      return T.double;
    case 'boolean':
      return T.bool;
    case 'array':
      return T.list(n.items ? toType(n.items, `${name}[]`) : T.dyn);
    case 'object': {
      if (!n.properties) return n.additional ? T.map(T.string, toType(n.additional, `${name}.*`)) : T.map(T.string, T.dyn);
      const fields = new Map<string, Type>();
      for (const [k, v] of n.properties) fields.set(k, toType(v, `${name}.${k}`));
      return { kind: 'object', name, fields, open: n.additional !== false };
    }
    default:
      return T.dyn;
  }
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function check(n: Node, v: unknown, path: string, out: string[], limit: number): void {
  if (out.length >= limit || v === undefined) return;
  if (n.types) {
    const t = jsonType(v);
    const ok = n.types.includes(t) || (t === 'integer' && n.types.includes('number'));
    if (!ok) {
      out.push(`${path}: expected ${n.types.join(' or ')}, got ${t}`);
      return;
    }
  }
  if (n.enumValues && !n.enumValues.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push(`${path}: must be one of ${n.enumValues.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof v === 'number') {
    if (n.min !== undefined && v < n.min) out.push(`${path}: ${v} is below the minimum ${n.min}`);
    if (n.max !== undefined && v > n.max) out.push(`${path}: ${v} is above the maximum ${n.max}`);
    if (n.exclusiveMin !== undefined && v <= n.exclusiveMin) out.push(`${path}: must be greater than ${n.exclusiveMin}`);
    if (n.exclusiveMax !== undefined && v >= n.exclusiveMax) out.push(`${path}: must be less than ${n.exclusiveMax}`);
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (n.minLength !== undefined && len < n.minLength) out.push(`${path}: shorter than ${n.minLength} characters`);
    if (n.maxLength !== undefined && len > n.maxLength) out.push(`${path}: longer than ${n.maxLength} characters`);
    if (n.pattern && !n.pattern.test(v)) out.push(`${path}: does not match ${n.pattern.pattern}`);
  }
  if (Array.isArray(v)) {
    if (n.minItems !== undefined && v.length < n.minItems) out.push(`${path}: fewer than ${n.minItems} items`);
    if (n.maxItems !== undefined && v.length > n.maxItems) out.push(`${path}: more than ${n.maxItems} items`);
    if (n.items) v.forEach((x, i) => check(n.items!, x, `${path}[${i}]`, out, limit));
  }
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of n.required ?? []) if (o[r] === undefined) out.push(`${path}.${r}: required`);
    for (const [k, x] of Object.entries(o)) {
      const p = n.properties?.get(k);
      if (p) check(p, x, `${path}.${k}`, out, limit);
      else if (n.additional === false) out.push(`${path}.${k}: not allowed (additionalProperties is false)`);
      else if (n.additional) check(n.additional, x, `${path}.${k}`, out, limit);
    }
  }
}
