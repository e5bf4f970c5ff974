// ajv errors → diagnostics a policy author can act on: the right code, the
// position of the offending key or value, a message in the author's terms and
// a hint. Which definition of schema/policy.schema.json an error comes from
// (a duration, a name, a modify item, ...) is found by the identity of the
// error's parentSchema, because ajv's schemaPath restarts at compiled $refs.

import type { ErrorObject } from 'ajv';
import type { DiagnosticCode } from './codes.js';
import { describeType, describeValue, fieldName, identifierFor, listOf, quote, shown, slugify } from './describe.js';
import { makeDiagnostic } from './diagnostic.js';
import { DurationError, parseDuration } from './duration.js';
import type { Locator, Path } from './locator.js';
import type { JsonSchema, PolicySchema } from './schema.js';
import type { Span } from './source-file.js';
import { didYouMean } from './suggest.js';
import { API_VERSION, type Diagnostic } from './types.js';
import { isRecord, pointerPath, valueAt } from './values.js';

const MODIFY_OP = '/definitions/modifyOp';
const LIMIT = '/definitions/limit';
const BUDGET = '/definitions/budget';
const MODIFY_SET = `${MODIFY_OP}/allOf/0/then`;
const MODIFY_CLAMP = `${MODIFY_OP}/allOf/1/then`;
const OPS = ['set', 'clamp', 'remove'] as const;

interface Issue {
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly hint?: string;
  readonly span: Span;
}

/** Diagnostics for the ajv errors of one document; `value` is the document's plain value. */
export function translateSchemaErrors(
  errors: readonly ErrorObject[],
  value: unknown,
  loc: Locator,
  schema: PolicySchema,
  context: (path: Path) => { policy?: string; rule?: string },
): Diagnostic[] {
  const t = new Translator(value, loc, schema);
  // A modify item with the wrong number of operations also fails the per-operation
  // checks; the one message about the operations says everything.
  const badOpItems = new Set(
    errors.filter((e) => e.keyword === 'oneOf' && t.where(e) === MODIFY_OP).map((e) => e.instancePath),
  );
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (t.isNoise(e)) continue;
    const where = t.where(e);
    if (badOpItems.has(e.instancePath) && (where === MODIFY_SET || where === MODIFY_CLAMP || e.keyword === 'dependencies')) continue;
    const path = t.path(e.instancePath);
    const issue = t.issue(e, path);
    out.push(makeDiagnostic({ code: issue.code, message: issue.message, hint: issue.hint, ...issue.span, ...context(path) }));
  }
  return out;
}

class Translator {
  constructor(
    private readonly root: unknown,
    private readonly loc: Locator,
    private readonly schema: PolicySchema,
  ) {}

  /** Errors that only restate another error: branch internals of oneOf/anyOf/not, `if`, and the propertyNames summary. */
  isNoise(e: ErrorObject): boolean {
    if (e.keyword === 'if' || e.keyword === 'propertyNames') return true;
    const where = this.where(e) ?? '';
    return /\/(oneOf|anyOf)\/\d+$/.test(where) || /\/not$/.test(where);
  }

  /** Location in the schema file of the subschema that raised `e`. */
  where(e: ErrorObject): string | undefined {
    return this.schema.locationOf(e.parentSchema);
  }

  /** JSON pointer → path; array indices become numbers (the pointer alone cannot tell `0` the key from 0 the index). */
  path(pointer: string): Path {
    return pointerPath(pointer, this.root);
  }

  issue(e: ErrorObject, path: Path): Issue {
    const value = valueAt(this.root, path);
    const field = fieldName(path);
    const def = definitionName(this.where(e));
    const parent = (e.parentSchema ?? {}) as JsonSchema;
    const params = e.params as Record<string, unknown>;
    // propertyNames sub-errors are about a key, reported on the object holding it.
    if (e.propertyName !== undefined) return this.keyName(e, path, e.propertyName, def);

    switch (e.keyword) {
      case 'additionalProperties':
        return this.unknownKey(path, String(params.additionalProperty), parent);
      case 'required':
        return this.missingKey(path, String(params.missingProperty), parent);
      case 'type':
        return this.wrongType(path, value, params.type as string | string[], def);
      case 'enum': {
        const allowed = (params.allowedValues as unknown[]) ?? [];
        const guess = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : '';
        return {
          code: 'invalid-value',
          message: `${field} must be one of ${listOf(allowed)}; got ${describeValue(value)}`,
          hint: guess === '' ? undefined : guess.trim(),
          span: this.loc.valueSpan(path),
        };
      }
      case 'const':
        if (def === 'apiVersion') {
          return {
            code: 'unknown-api-version',
            message: `unknown apiVersion ${shown(value)}`,
            hint: `this engine reads 'apiVersion: ${String(params.allowedValue)}'`,
            span: this.loc.valueSpan(path),
          };
        }
        return {
          code: 'invalid-value',
          message: `${field} must be ${JSON.stringify(params.allowedValue)}, got ${describeValue(value)}`,
          span: this.loc.valueSpan(path),
        };
      case 'pattern':
      case 'maxLength':
        return this.badFormat(e, path, value, def);
      case 'not':
        if (def === 'identifier') return this.identifier(String(value), this.loc.valueSpan(path));
        break;
      case 'minLength':
        return {
          code: 'invalid-value',
          message: `${field} must not be empty`,
          hint: def === 'expression' ? 'write a CEL expression, or remove the key' : undefined,
          span: this.loc.valueSpan(path),
        };
      case 'minItems':
        return {
          code: 'invalid-value',
          message: params.limit === 1 ? `${field} must have at least one item` : `${field} must have at least ${String(params.limit)} items`,
          span: this.loc.valueSpan(path),
        };
      case 'minProperties':
        return {
          code: 'invalid-value',
          message: `${field} checks nothing`,
          hint: `give at least one of: ${listOf(Object.keys((parent.properties as JsonSchema) ?? {}))}`,
          span: this.loc.valueSpan(path),
        };
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        return {
          code: 'invalid-value',
          message: `${field} must be ${String(params.comparison)} ${String(params.limit)}, got ${describeValue(value)}`,
          span: this.loc.valueSpan(path),
        };
      case 'uniqueItems': {
        const later = Math.max(Number(params.i), Number(params.j));
        const item = Array.isArray(value) ? value[later] : undefined;
        return {
          code: 'duplicate-value',
          message: `${field} lists ${typeof item === 'string' ? quote(item) : describeValue(item)} more than once`,
          hint: 'remove the repeated item',
          span: this.loc.valueSpan([...path, later]),
        };
      }
      case 'oneOf':
      case 'anyOf':
      case 'dependencies':
        if (this.where(e)?.startsWith(MODIFY_OP)) return this.modifyOp(e, path, value);
        if (this.where(e) === LIMIT || this.where(e) === BUDGET) return this.statefulShape(this.where(e) === LIMIT, path, value);
        break;
    }
    return {
      code: 'schema-violation',
      message: `${field} ${e.message ?? 'is invalid'}`,
      span: this.loc.valueSpan(path),
    };
  }

  private unknownKey(path: Path, key: string, parent: JsonSchema): Issue {
    const allowed = Object.keys((parent.properties as JsonSchema) ?? {}).filter((k) => k !== '$schema');
    const guess = didYouMean(key, allowed);
    // A key one level too high (`rules` beside `spec`) is worth naming the right place for.
    const home = guess === '' ? this.childHaving(parent, key) : undefined;
    const hint = home ? `'${key}' belongs under '${home}'; ` : guess;
    return {
      code: 'unknown-key',
      message: `unknown key '${key}' in ${objectName(path)}`,
      hint: `${hint}allowed keys: ${listOf(allowed)}`,
      span: this.loc.keySpan([...path, key]),
    };
  }

  private childHaving(parent: JsonSchema, key: string): string | undefined {
    for (const [name, sub] of Object.entries((parent.properties as JsonSchema) ?? {})) {
      const props = this.schema.resolve(sub)?.properties;
      if (isRecord(props) && key in props) return name;
    }
    return undefined;
  }

  private missingKey(path: Path, key: string, parent: JsonSchema): Issue {
    const declared = ((parent.properties as JsonSchema) ?? {})[key];
    // A description beside the $ref is the specific one (metadata.name vs. any name).
    const description = (isRecord(declared) ? declared.description : undefined) ?? this.schema.resolve(declared)?.description;
    const about = typeof description === 'string' ? firstSentence(description) : undefined;
    const hint = key === 'apiVersion' ? `add 'apiVersion: ${API_VERSION}'` : about ? `add '${key}': ${lowerFirst(about)}` : `add '${key}'`;
    return {
      code: 'missing-key',
      message: `${objectName(path)} is missing required key '${key}'`,
      hint,
      span: this.loc.valueSpan(path),
    };
  }

  private wrongType(path: Path, value: unknown, type: string | string[], def: string | undefined): Issue {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // YAML's .inf and .nan: numbers to YAML, but neither JSON nor CEL can write them.
      return {
        code: 'invalid-value',
        message: `${fieldName(path)} is ${String(value)}, which is not a number a policy can use`,
        hint: 'use a finite number',
        span: this.loc.valueSpan(path),
      };
    }
    const expected =
      def === 'expression'
        ? 'a CEL expression'
        : def === 'duration'
          ? "a duration such as '30s'"
          : def === 'template'
            ? 'a string (a template)'
            : describeType(type);
    return {
      code: 'invalid-type',
      message: `${fieldName(path)} must be ${expected}, got ${describeValue(value)}`,
      hint: typeHint(value, typeof type === 'string' ? [type] : type, def, this.loc.rawText(path), typeof path.at(-1) === 'number'),
      span: this.loc.valueSpan(path),
    };
  }

  private badFormat(e: ErrorObject, path: Path, value: unknown, def: string | undefined): Issue {
    const span = this.loc.valueSpan(path);
    const field = fieldName(path);
    const v = typeof value === 'string' ? value : String(value);
    const tooLong = e.keyword === 'maxLength' ? ` (at most ${String((e.params as { limit: number }).limit)} characters)` : '';
    switch (def) {
      case 'name':
        return {
          code: 'invalid-name',
          message: `${field} ${quote(v)} is not a valid name${tooLong}`,
          hint: `use lowercase letters and digits, with '-', '_' or '.' inside, e.g. '${slugify(v)}'`,
          span,
        };
      case 'ruleId':
        return {
          code: 'invalid-rule-id',
          message: `rule id ${quote(v)} is not valid${tooLong}`,
          hint: `use lowercase letters and digits, with '-', '_' or '.' inside, e.g. '${slugify(v)}'`,
          span,
        };
      case 'ruleRef':
        return {
          code: 'invalid-rule-ref',
          message: `${field} ${quote(v)} is not a rule reference`,
          hint: "write 'policy-name/rule-id', e.g. 'budget-guard/monthly-budget'",
          span,
        };
      case 'identifier':
        return this.identifier(v, span);
      case 'duration': {
        try {
          parseDuration(v);
        } catch (err) {
          if (err instanceof DurationError) return { code: 'invalid-duration', message: err.message, hint: err.hint, span };
        }
        return { code: 'invalid-duration', message: `invalid duration ${quote(v)}`, span };
      }
      case 'timestamp':
        return {
          code: 'invalid-timestamp',
          message: `${field} ${quote(v)} is not an RFC 3339 timestamp`,
          hint: "write date, 'T', time and a zone ('Z' or an offset), e.g. 2025-03-01T09:30:00Z",
          span,
        };
      case 'requestPath':
        return {
          code: 'invalid-path',
          message: `${quote(v)} is not a request field path`,
          hint: v.startsWith('request.')
            ? 'use dot-separated identifiers (letters, digits, _), e.g. request.max_tokens'
            : `modify paths start with 'request.', e.g. 'request.${identifierFor(v.replace(/^\W+/, '') || 'model')}'`,
          span,
        };
    }
    // No dedicated wording: say what the field takes (its description) rather than show the regex.
    const about = (e.parentSchema as JsonSchema | undefined)?.description;
    if (typeof about === 'string') return { code: 'invalid-value', message: `${field} ${quote(v)} is not valid: ${lowerFirst(firstSentence(about))}`, span };
    return { code: 'invalid-value', message: `${field} ${e.message ?? 'is invalid'}`, span };
  }

  private identifier(v: string, span: Span): Issue {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      return {
        code: 'invalid-identifier',
        message: `'${v}' is a reserved word in CEL and cannot be a name`,
        hint: `choose another name, e.g. '${v}_value'`,
        span,
      };
    }
    return {
      code: 'invalid-identifier',
      message: `${quote(v)} is not a CEL identifier`,
      hint: `start with a letter or '_', then letters, digits or '_', e.g. '${identifierFor(v)}'`,
      span,
    };
  }

  /** A key that fails `propertyNames` (a `let` name). */
  private keyName(e: ErrorObject, path: Path, key: string, def: string | undefined): Issue {
    const span = this.loc.keySpan([...path, key]);
    if (def === 'identifier') return this.identifier(key, span);
    return { code: 'invalid-value', message: `key ${quote(key)} in ${objectName(path)} ${e.message ?? 'is invalid'}`, span };
  }

  /** A limit needs `requests`, or `cost` and `max`; a budget needs `amount` or `usage`. */
  private statefulShape(isLimit: boolean, path: Path, value: unknown): Issue {
    const item = isRecord(value) ? value : {};
    if (isLimit) {
      const has = (k: string): boolean => k in item;
      if (has('requests') && (has('cost') || has('max'))) {
        return {
          code: 'invalid-limit',
          message: `a limit counts requests (\`requests\`) or a cost (\`cost\` with \`max\`), not both`,
          hint: 'keep requests: N to count requests, or cost and max to count e.g. tokens',
          span: this.loc.keySpan([...path, has('cost') ? 'cost' : 'max']),
        };
      }
      if (has('cost') !== has('max')) {
        return {
          code: 'invalid-limit',
          message: has('cost') ? '`cost` needs `max`: the most the costs may add up to per window' : '`max` needs `cost`: what one request uses of it',
          hint: has('cost') ? 'add max: <number or CEL>' : "add cost: <CEL>, e.g. tokens(request.messages), or use requests: N",
          span: this.loc.keySpan([...path, has('cost') ? 'cost' : 'max']),
        };
      }
      return {
        code: 'invalid-limit',
        message: 'a limit needs `requests` (count requests) or `cost` and `max` (count a cost, e.g. tokens)',
        hint: "e.g. { key: user.id, requests: 60, window: 1m }",
        span: this.loc.valueSpan(path),
      };
    }
    const both = 'amount' in item && 'usage' in item;
    return {
      code: 'invalid-limit',
      message: both ? 'a budget takes `amount` or `usage`, not both' : "a budget needs `amount` (the request's estimated use) or `usage` (model and token counts to price)",
      hint: both ? 'keep usage to let the engine clamp max_tokens and suggest cheaper models; amount for a ready number' : 'e.g. usage: { model: request.model, input_tokens: ..., output_tokens: request.max_tokens }',
      span: both ? this.loc.keySpan([...path, 'amount']) : this.loc.valueSpan(path),
    };
  }

  private modifyOp(e: ErrorObject, path: Path, value: unknown): Issue {
    const item = isRecord(value) ? value : {};
    const where = this.where(e);
    if (e.keyword === 'dependencies') {
      const params = e.params as { property: string; missingProperty: string };
      return {
        code: 'invalid-modify-op',
        message: `'${params.property}' only goes with '${params.missingProperty}'`,
        hint: `write '${params.missingProperty}: request.<field>' in this item, or remove '${params.property}'`,
        span: this.loc.keySpan([...path, params.property]),
      };
    }
    if (where === MODIFY_SET) {
      const both = 'value' in item && 'expr' in item;
      return {
        code: 'invalid-modify-op',
        message: both ? "'set' takes 'value' or 'expr', not both" : "'set' needs 'value' (a literal) or 'expr' (a CEL expression)",
        hint: both ? "keep 'value' for a literal, 'expr' for a computed value" : "e.g. { set: request.model, value: gpt-4o-mini }",
        span: this.loc.keySpan([...path, both ? 'expr' : 'set']),
      };
    }
    if (where === MODIFY_CLAMP) {
      return {
        code: 'invalid-modify-op',
        message: "'clamp' needs 'max', 'min' or both",
        hint: 'e.g. { clamp: request.max_tokens, max: 1024 }',
        span: this.loc.keySpan([...path, 'clamp']),
      };
    }
    const ops = OPS.filter((op) => op in item);
    return ops.length === 0
      ? {
          code: 'invalid-modify-op',
          message: 'a modify item needs an operation: set, clamp or remove',
          hint: 'e.g. { set: request.model, value: gpt-4o-mini }, { clamp: request.max_tokens, max: 1024 } or { remove: request.tools }',
          span: this.loc.valueSpan(path),
        }
      : {
          code: 'invalid-modify-op',
          message: `a modify item has ${ops.map((o) => `'${o}'`).join(' and ')}; it must have exactly one operation`,
          hint: 'put each operation in its own list item',
          span: this.loc.keySpan([...path, ops[1]]),
        };
  }
}

/** `/definitions/duration` → `duration`; undefined for anything not directly a definition. */
function definitionName(where: string | undefined): string | undefined {
  const m = where === undefined ? null : /^\/definitions\/([^/]+)$/.exec(where);
  return m ? m[1] : undefined;
}

function objectName(path: Path): string {
  return path.length === 0 ? 'the document' : fieldName(path);
}

function typeHint(
  value: unknown,
  types: readonly string[],
  def: string | undefined,
  raw: string | undefined,
  listItem: boolean,
): string | undefined {
  if (value === null || value === undefined) return listItem ? 'write a value, or remove the item' : 'write a value after the colon, or remove the key';
  if (def === 'duration' && typeof value === 'number') return `add a unit, e.g. '${value}s'`;
  if ((def === 'expression' || def === 'template') && (isRecord(value) || Array.isArray(value))) {
    return "quote the text: unquoted, YAML reads ': ', '{', '[' and '- ' as structure";
  }
  if (types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) {
    return `quote it: '${raw ?? String(value)}'`;
  }
  if (typeof value === 'string') {
    const looksNumeric = /^-?\d+(\.\d+)?$/.test(value.trim());
    if ((types.includes('integer') || types.includes('number')) && looksNumeric) return `remove the quotes: ${value.trim()}`;
    if (types.includes('boolean') && /^(true|false)$/i.test(value.trim())) return `remove the quotes: ${value.trim().toLowerCase()}`;
    if (types.includes('boolean') && /^(yes|no|on|off|y|n)$/i.test(value.trim())) return 'write true or false';
  }
  if (types.includes('array') && isRecord(value)) return "write a list: one item per line, each starting with '- '";
  if (types.includes('array') && typeof value === 'string') return `write a list, e.g. [${value}]`;
  return undefined;
}

function firstSentence(s: string): string {
  // A period ends the sentence unless it belongs to an abbreviation ("e.g. 1m" would leave "e.g.").
  const m = /^(.*?(?<!\b(?:e\.g|i\.e|etc|vs))\.)(\s|$)/.exec(s);
  return m ? m[1]! : s;
}

/** "Identity of ..." → "identity of ...", but "CEL condition" stays. */
function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
