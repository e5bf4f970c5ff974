// A compiled policy set: the unit the engine swaps atomically on reload.

import { createHash } from 'node:crypto';
import { CelEnv } from '../cel/env.js';
import type { FunctionDecl } from '../cel/library/overload.js';
import { policyFunctions } from '../functions/index.js';
import { T, type Type } from '../cel/types.js';
import type { Diagnostic, Document, PolicyDoc, PolicySetDoc, SchemaViolationMode, SourcePos, SourceText } from '../policy/types.js';
import { type CompiledPolicy, compilePolicy } from './compile-policy.js';
import { type ContextSchema, compileContextSchema } from './context-schema.js';
import { type ReadSpec, normalizeReads } from './read-paths.js';

/** Top-level context variables every policy may use when no context schema is declared. */
export const CONVENTIONAL_VARIABLES = ['request', 'user', 'team', 'project', 'environment', 'metadata'] as const;

export interface PolicySetSettings {
  readonly name: string;
  readonly defaultDecision: 'allow' | 'deny';
  readonly schema?: ContextSchema;
  readonly schemaViolation: SchemaViolationMode;
  readonly numericPromotion: boolean;
  readonly variables: ReadonlyMap<string, Type>;
}

export interface CompiledPolicySet {
  /** sha256 over the policies and settings: equal sets have equal revisions on every replica. */
  readonly revision: string;
  /** In evaluation order: priority descending, then namespace and name. */
  readonly policies: readonly CompiledPolicy[];
  readonly settings: PolicySetSettings;
  readonly env: CelEnv;
  /** Union of the policies' context reads, normalised. */
  readonly reads: readonly ReadSpec[];
  /** True when no expression depends on the clock, so decisions can be cached. */
  readonly deterministic: boolean;
  /** True when some rule has a limit or budget: every decision consults the limit store (and is never cached). */
  readonly stateful: boolean;
  /** Largest slot count of any policy: one activation array serves them all. */
  readonly slotCount: number;
  readonly ruleCount: number;
}

export interface CompileSetOptions {
  /** The built-in functions (default: policyFunctions() with default options). */
  readonly builtins?: readonly FunctionDecl[];
  /** Extra CEL functions (custom functions). */
  readonly functions?: readonly FunctionDecl[];
  /** Compile evaluators that record every node's value (for traces). */
  readonly traced?: boolean;
  /** Reuses compiled policies across compilations (keyed by document hash and environment). */
  readonly cache?: CompilationCache;
  /** Distinguishes function sets in cache keys; change it when `functions` change. */
  readonly functionsFingerprint?: string;
}

/** A bounded LRU of compiled policies: a reload recompiles only documents that changed. */
export class CompilationCache {
  private readonly map = new Map<string, CompiledPolicy>();
  hits = 0;
  misses = 0;
  constructor(readonly capacity: number) {}

  get(key: string): CompiledPolicy | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
      this.hits++;
    } else this.misses++;
    return v;
  }

  set(key: string, v: CompiledPolicy): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  get size(): number {
    return this.map.size;
  }
}

let builtins: readonly FunctionDecl[] | undefined;
/** policyFunctions() with default options, made once. */
function defaultBuiltins(): readonly FunctionDecl[] {
  builtins ??= policyFunctions();
  return builtins;
}

export function compilePolicySet(docs: readonly Document[], opts: CompileSetOptions = {}): { set?: CompiledPolicySet; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const setDocs = docs.filter((d): d is PolicySetDoc => d.kind === 'PolicySet');
  const policyDocs = docs.filter((d): d is PolicyDoc => d.kind === 'Policy');
  if (setDocs.length > 1) {
    for (const d of setDocs.slice(1)) {
      diagnostics.push({ severity: 'error', code: 'duplicate-policy-set', message: `only one PolicySet may be loaded; '${d.name}' repeats '${setDocs[0]!.name}' (${setDocs[0]!.file}:${setDocs[0]!.pos.line})`, pos: d.pos });
    }
    return { diagnostics };
  }
  const sd = setDocs[0];
  let schema: ContextSchema | undefined;
  const variables = new Map<string, Type>();
  if (sd?.contextSchema) {
    const r = compileContextSchema(sd.contextSchema);
    for (const p of r.problems) {
      diagnostics.push({ severity: 'error', code: 'invalid-context-schema', message: `context_schema${p.path ? '.' + p.path : ''}: ${p.message}`, pos: sd.contextSchemaPos ?? sd.pos });
    }
    if (!r.schema) return { diagnostics };
    schema = r.schema;
    for (const [k, t] of schema.variables) variables.set(k, t);
  } else {
    for (const v of CONVENTIONAL_VARIABLES) variables.set(v, T.dyn);
  }
  for (const v of sd?.variables ?? []) if (!variables.has(v)) variables.set(v, T.dyn);

  const settings: PolicySetSettings = {
    name: sd?.name ?? 'default',
    defaultDecision: sd?.defaultDecision ?? 'allow',
    schema,
    schemaViolation: sd?.schemaViolation ?? 'warn',
    numericPromotion: sd?.numericPromotion ?? true,
    variables,
  };
  // Absent top-level variables read as empty maps: a context without `team` makes
  // `has(team.budget)` false (and `team.budget` a no-such-key error) instead of failing every read.
  const env = new CelEnv({
    numericPromotion: settings.numericPromotion,
    variables,
    functions: [...(opts.builtins ?? defaultBuiltins()), ...(opts.functions ?? [])],
    absentVariables: 'empty',
  });
  const envKey = hash(
    JSON.stringify({
      promo: settings.numericPromotion,
      vars: [...variables].map(([k, t]) => [k, JSON.stringify(t, (_k, v) => (v instanceof Map ? [...v] : v))]),
      fns: opts.functionsFingerprint ?? '',
    }),
  );

  const compiled: CompiledPolicy[] = [];
  for (const doc of policyDocs) {
    // Compiled policies hold source positions, so the file and where the document's text sits in it
    // are part of the key: the hash ignores formatting and comments, which move the text (and so the
    // positions that rule errors report) without changing the content.
    const key = `${doc.hash}:${envKey}:${doc.file}:${doc.pos.line}:${layoutKey(doc)}${opts.traced ? ':traced' : ''}`;
    const hit = opts.cache?.get(key);
    if (hit) {
      compiled.push(hit);
      continue;
    }
    const r = compilePolicy(doc, env, opts.traced);
    diagnostics.push(...r.diagnostics);
    if (r.policy) {
      compiled.push(r.policy);
      opts.cache?.set(key, r.policy);
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  // Code-unit order, not localeCompare: the collation follows the process locale (in Estonian `z`
  // sorts before `t`), and the order decides `matched`, the reason and the revision on every replica.
  compiled.sort((a, b) => b.priority - a.priority || compareCodeUnits(a.namespace, b.namespace) || compareCodeUnits(a.name, b.name));
  const revision =
    'sha256:' +
    hash(JSON.stringify({ policies: compiled.map((p) => p.hash), set: sd ? { d: settings.defaultDecision, s: sd.contextSchema ?? null, v: settings.schemaViolation, p: settings.numericPromotion, x: sd.variables } : null, env: envKey })).slice(0, 16);
  return {
    diagnostics,
    set: {
      revision,
      policies: compiled,
      settings,
      env,
      reads: normalizeReads(compiled.flatMap((p) => p.reads)),
      deterministic: compiled.every((p) => p.deterministic),
      stateful: compiled.some((p) => p.stateful),
      slotCount: Math.max(0, ...compiled.map((p) => p.slotCount)),
      ruleCount: compiled.reduce((n, p) => n + p.rules.length, 0),
    },
  };
}

/**
 * A fingerprint of where every expression and template of `doc` was written: for each
 * SourceText, the offsets at which its map to the file stops advancing one column at a
 * time, with the positions there. Equal fingerprints mean equal positions everywhere.
 */
function layoutKey(doc: PolicyDoc): string {
  const out: string[] = [];
  const text = (t: SourceText | undefined): void => {
    if (!t) {
      out.push('-');
      return;
    }
    let s = '';
    let line = -1;
    let column = -1;
    for (let i = 0; i <= t.text.length; i++) {
      const p = t.at(i);
      if (p.line !== line || p.column !== column + 1) s += `${i}@${p.line}.${p.column},`;
      line = p.line;
      column = p.column;
    }
    out.push(s);
  };
  const pos = (p: SourcePos): void => {
    out.push(`${p.line}.${p.column}`);
  };
  text(doc.target);
  for (const l of doc.lets) text(l.expr);
  for (const r of doc.rules) {
    pos(r.pos);
    text(r.when);
    text(r.unless);
    text(r.reason);
    for (const k of Object.keys(r.suggest)) text(r.suggest[k]);
    for (const m of r.modify) {
      pos(m.pos);
      if (m.op === 'set' && 'expr' in m) text(m.expr);
      if (m.op === 'clamp') {
        text(m.max);
        text(m.min);
      }
    }
  }
  return hash(out.join('|')).slice(0, 16);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
