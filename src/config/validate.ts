// CONFIG_SCHEMA, compiled once with ajv, and its errors in the operator's
// terms: the key path, what is wrong, and how to fix it (did you mean, the
// allowed values, an example of the right form). Positions are added by the
// caller, which knows whether a value came from the file or the environment.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { describeType, describeValue, fieldName, listOf, quote } from '../policy/describe.js';
import type { Path } from '../policy/locator.js';
import { closest, didYouMean } from '../policy/suggest.js';
import { isRecord, pointerPath, valueAt } from '../policy/values.js';
import { explainAddress } from './address.js';
import type { ConfigProblemCode } from './problems.js';
import { CONFIG_SCHEMA, fieldKind, type JsonSchema } from './schema.js';

export interface SchemaIssue {
  /** The value's path; for an unknown key, the key's path. */
  readonly path: Path;
  /** Whether the problem is the key itself (unknown keys) or its value. */
  readonly at: 'key' | 'value';
  readonly code: ConfigProblemCode;
  readonly message: string;
  readonly hint?: string;
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true }).compile(CONFIG_SCHEMA);
  return validator;
}

/** Every schema problem of `value` (a parsed configuration file, with any overrides applied). */
export function validateConfigValue(value: unknown): SchemaIssue[] {
  const validate = compiled();
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // A value of the wrong type also fails its enum; the type error says everything.
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === 'type' || !typed.has(e.instancePath)).map((e) => issue(e, value));
}

function issue(e: ErrorObject, root: unknown): SchemaIssue {
  const path = pointerPath(e.instancePath, root);
  const value = valueAt(root, path);
  const field = keyPath(path);
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  const params = e.params as Record<string, unknown>;
  const fix = (code: ConfigProblemCode, message: string, hint?: string): SchemaIssue => ({ path, at: 'value', code, message, ...(hint === undefined ? {} : { hint }) });

  switch (e.keyword) {
    case 'additionalProperties':
      return unknownKey(path, String(params.additionalProperty), parent);
    case 'type':
      return wrongType(path, value, parent);
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const guess = typeof value === 'string' ? closest(value, allowed.map(String)) : undefined;
      return fix('invalid-value', `${field} must be one of ${listOf(allowed)}; got ${describeValue(value)}`, guess === undefined ? undefined : `did you mean '${guess}'?`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return fix('invalid-value', `${field} must be ${range(parent)}, got ${describeValue(value)}`, rangeHint(path, parent, value));
    case 'minLength':
      return fix('invalid-value', `${field} must not be empty`, parent.default === undefined ? 'write a value, or remove the key' : `write a value, or remove the key to use the default ${JSON.stringify(parent.default)}`);
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const item = Array.isArray(value) ? value[later] : undefined;
      return { path: [...path, later], at: 'value', code: 'duplicate-value', message: `${field} lists ${typeof item === 'string' ? quote(item) : describeValue(item)} more than once`, hint: 'remove the repeated item' };
    }
    case 'pattern':
      return badFormat(path, String(value), parent);
  }
  return fix('invalid-value', `${field} ${e.message ?? 'is invalid'}`);
}

/** `server.http.listen_address`, `server.http.cors_allowed_origins[1]`; the root is "the configuration". */
export function keyPath(path: Path): string {
  return path.length === 0 ? 'the configuration' : fieldName(path);
}

function unknownKey(parentPath: Path, key: string, parent: JsonSchema): SchemaIssue {
  const allowed = Object.keys((parent.properties as JsonSchema) ?? {});
  const where = parentPath.length === 0 ? 'at the top level' : `in ${keyPath(parentPath)}`;
  let hint = didYouMean(key, allowed);
  if (hint === '') {
    // A shortened name (`cors_origins` for `cors_allowed_origins`): every word of it in one allowed key.
    const words = key.toLowerCase().split(/[-_\s]+/).filter(Boolean);
    const fuller = allowed.filter((k) => words.length > 1 && words.every((w) => k.split('_').includes(w)));
    if (fuller.length === 1) hint = `did you mean '${fuller[0]}'? `;
  }
  if (hint === '') {
    // A key in the wrong section (`level` at the top instead of under `logging`): name where it lives.
    const homes = keyHomes(key);
    if (homes.length > 0 && homes.length <= 3) hint = `'${key}' is a key of ${homes.map((h) => `'${h}'`).join(', ')}; `;
  }
  return {
    path: [...parentPath, key],
    at: 'key',
    code: 'unknown-key',
    message: `unknown key '${key}' ${where}`,
    hint: `${hint}${parentPath.length === 0 ? 'sections are' : 'allowed keys are'}: ${listOf(allowed)}`,
  };
}

/** The sections (key paths) that have `key` as one of their keys. */
function keyHomes(key: string): string[] {
  const out: string[] = [];
  const walk = (schema: JsonSchema, path: string[]): void => {
    const props = schema.properties as Record<string, JsonSchema> | undefined;
    if (!props) return;
    if (key in props && path.length > 0) out.push(path.join('.'));
    for (const [k, sub] of Object.entries(props)) walk(sub, [...path, k]);
  };
  walk(CONFIG_SCHEMA, []);
  return out;
}

function wrongType(path: Path, value: unknown, schema: JsonSchema): SchemaIssue {
  const field = keyPath(path);
  const type = schema.type as string | string[];
  const base = { path, at: 'value' as const };
  if (type === 'object') {
    return {
      ...base,
      code: 'invalid-type',
      message: `${field} must be a section (a mapping of keys), got ${describeValue(value)}`,
      hint:
        value === null
          ? `write its keys indented under '${String(path.at(-1))}:', or remove the line`
          : `write its keys on the lines below '${String(path.at(-1))}:', indented; its keys are ${listOf(Object.keys((schema.properties as JsonSchema) ?? {}))}`,
    };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { ...base, code: 'invalid-value', message: `${field} is ${String(value)}, which is not a usable number`, hint: 'write a finite number' };
  }
  if (Array.isArray(schema.enum)) {
    const hint = value === null ? typeHint(value, [], schema) : undefined;
    return { ...base, code: 'invalid-type', message: `${field} must be one of ${listOf(schema.enum)}; got ${describeValue(value)}`, ...optionalHint(hint) };
  }
  return { ...base, code: 'invalid-type', message: `${field} must be ${describeType(type)}, got ${describeValue(value)}`, ...optionalHint(typeHint(value, typeof type === 'string' ? [type] : type, schema)) };
}

function optionalHint(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

function typeHint(value: unknown, types: readonly string[], schema: JsonSchema): string | undefined {
  const def = schema.default === undefined ? '' : ` (default ${JSON.stringify(schema.default)})`;
  if (value === null || value === undefined) return `write a value after the colon, or remove the key to use the default${def}`;
  if (types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) return `quote it: "${String(value)}"`;
  if (typeof value === 'string') {
    const v = value.trim();
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(v)) return `remove the quotes: ${v}`;
    const num = /^(\d+(?:\.\d+)?)\s*(mb|m|s|ms|kb|gb|seconds?)$/i.exec(v);
    if ((types.includes('integer') || types.includes('number')) && num) return `write the number alone, ${num[1]}: the key's name says the unit`;
    if (types.includes('boolean') && /^(true|false)$/i.test(v)) return `remove the quotes: ${v.toLowerCase()}`;
    if (types.includes('boolean') && /^(yes|no|on|off|y|n|enabled|disabled)$/i.test(v)) return 'write true or false';
  }
  if (types.includes('integer') && typeof value === 'number') return `write a whole number, e.g. ${Math.round(value) || 1}`;
  if (types.includes('array') && typeof value === 'string') return `write a list, e.g. [${JSON.stringify(value)}]`;
  if (types.includes('array') && isRecord(value)) return "write a list: one item per line, each starting with '- '";
  return undefined;
}

/** "from 1 to 65535", "at least 1", "more than 0", ... */
function range(schema: JsonSchema): string {
  const min = schema.minimum as number | undefined;
  const max = schema.maximum as number | undefined;
  const exMin = schema.exclusiveMinimum as number | undefined;
  const whole = schema.type === 'integer' ? 'a whole number' : 'a number';
  if (fieldKind(schema) === 'port') return 'a port number from 1 to 65535';
  if (min !== undefined && max !== undefined) return `${whole} from ${min} to ${max}`;
  if (exMin !== undefined) return `more than ${exMin}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return 'in range';
}

function rangeHint(path: Path, schema: JsonSchema, value: unknown): string | undefined {
  const key = String(path.at(-1));
  if (key === 'enabled' || typeof value !== 'number') return undefined;
  if (value === 0 && /capacity|max_|size/.test(key)) {
    const section = path.slice(0, -1);
    const props = (valueAt(CONFIG_SCHEMA, section.flatMap((s) => ['properties', String(s)])) as JsonSchema | undefined)?.properties as JsonSchema | undefined;
    if (props && 'enabled' in props) return `to turn it off, set ${keyPath([...section, 'enabled'])}: false`;
  }
  if (schema.default !== undefined) return `the default is ${JSON.stringify(schema.default)}`;
  return undefined;
}

function badFormat(path: Path, v: string, schema: JsonSchema): SchemaIssue {
  const field = keyPath(path);
  const def = typeof schema.default === 'string' ? schema.default : undefined;
  const base = { path, at: 'value' as const, code: 'invalid-value' as const };
  switch (fieldKind(schema)) {
    case 'address': {
      const { problem, hint } = explainAddress(v, def ?? '0.0.0.0:8080');
      return { ...base, message: `${field} ${quote(v)} ${problem}`, hint };
    }
    case 'http-url':
      return { ...base, message: `${field} ${quote(v)} is not an http:// or https:// URL`, hint: `e.g. ${def ?? 'http://service:8080'}` };
    case 'registry-url':
      return { ...base, message: `${field} ${quote(v)} is not an http:// or https:// URL`, hint: 'e.g. https://policy-registry.example.com; leave it empty for no registry' };
    case 'redis-url':
      return {
        ...base,
        message: `${field} ${quote(v)} is not a Redis URL`,
        hint: /^[\w.-]+:\d+$/.test(v) ? `add the scheme: redis://${v}` : 'write redis://host:port (rediss:// for TLS), e.g. redis://localhost:6379',
      };
    case 'endpoint':
      return { ...base, message: `${field} ${quote(v)} is not a URL`, hint: /^[\w.-]+:\d+$/.test(v) ? `add the scheme: http://${v}` : `e.g. ${def ?? 'http://otel-collector:4317'}` };
    case 'origin': {
      const origin = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#]+)[/?#]/.exec(v)?.[1];
      return {
        ...base,
        message: `${field} ${quote(v)} is not an origin`,
        hint: origin
          ? `an origin has no path, not even a trailing '/': write '${origin}'`
          : /^[\w.-]+(:\d+)?$/.test(v)
            ? `add the scheme: 'https://${v}'`
            : "write scheme://host[:port], e.g. 'https://app.example.com', or '*' for any origin",
      };
    }
    case 'http-path':
      return { ...base, message: `${field} ${quote(v)} is not a URL path`, hint: v.startsWith('/') ? 'a path has no spaces, query or fragment, e.g. /metrics' : `start it with '/': /${v.replace(/^\/*/, '')}` };
    case 'host':
      return {
        ...base,
        message: `${field} ${quote(v)} is not a host name or an IP address`,
        hint: /^[\w.-]+:\d+$/.test(v) ? 'write the host alone: the port has a key of its own' : /:\/\//.test(v) ? 'write the host alone, without a scheme' : `e.g. ${def ?? 'localhost'}`,
      };
    default:
      return { ...base, message: `${field} ${quote(v)} is not valid`, ...optionalHint(typeof schema.description === 'string' ? schema.description : undefined) };
  }
}
