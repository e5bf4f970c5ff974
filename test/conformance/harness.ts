// Runs the official CEL conformance cases (npm @bufbuild/cel-spec, upstream
// cel-spec v0.25.1) against our parser, checker and compiler.
//
// Cases that need protobuf messages (message literals, containers, proto
// typed variables or values, enums, wrappers, Any) cannot apply to a policy
// engine whose data is JSON; they are classified with the reason and
// reported, not run.

import { getConformanceSuite, type IncrementalTest } from '@bufbuild/cel-spec/testdata/tests.js';
import type { Expr } from '../../src/cel/ast.js';
import { forEachChild } from '../../src/cel/ast.js';
import { check } from '../../src/cel/checker.js';
import { SlotAllocator, compileChecked } from '../../src/cel/compiler/compile.js';
import { CelEnv } from '../../src/cel/env.js';
import { CelCompileError, CelError } from '../../src/cel/errors.js';
import { globalOverload, memberOverload, type FunctionDecl } from '../../src/cel/library/overload.js';
import { parse } from '../../src/cel/parser.js';
import { T, type Type, typeToString } from '../../src/cel/types.js';
import { CelDuration, CelMap, CelTimestamp, CelType, CelUint, CelOptional, isPlainObject } from '../../src/cel/values.js';

export interface CaseOutcome {
  readonly path: string;
  readonly status: 'pass' | 'fail' | 'proto';
  readonly detail?: string;
}

// ---- conversions between conformance protos (as plain objects) and our values ----

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export function fromProtoValue(v: Any): unknown {
  const k = v?.kind;
  switch (k?.case) {
    case 'nullValue':
      return null;
    case 'boolValue':
      return k.value;
    case 'int64Value':
      return BigInt(k.value);
    case 'uint64Value':
      return new CelUint(BigInt(k.value));
    case 'doubleValue':
      return k.value;
    case 'stringValue':
      return k.value;
    case 'bytesValue':
      return k.value as Uint8Array;
    case 'listValue':
      return (k.value.values ?? []).map(fromProtoValue);
    case 'mapValue': {
      const m = new CelMap();
      for (const e of k.value.entries ?? []) m.set(fromProtoValue(e.key), fromProtoValue(e.value));
      return m;
    }
    case 'typeValue':
      return new CelType(k.value);
    default:
      throw new Error(`unsupported conformance value ${k?.case}`);
  }
}

export function fromProtoType(t: Any): Type {
  const k = t?.typeKind;
  switch (k?.case) {
    case 'dyn':
      return T.dyn;
    case 'null':
      return T.null;
    case 'primitive':
      return [T.dyn, T.bool, T.int, T.uint, T.double, T.string, T.bytes][k.value] ?? T.dyn;
    case 'wellKnown':
      return k.value === 2 ? T.timestamp : k.value === 3 ? T.duration : T.dyn;
    case 'listType':
      return T.list(fromProtoType(k.value.elemType));
    case 'mapType':
      return T.map(fromProtoType(k.value.keyType), fromProtoType(k.value.valueType));
    case 'typeParam':
      return T.param(k.value);
    case 'type':
      return T.type(fromProtoType(k.value));
    case 'abstractType':
      return T.abstract(k.value.name, (k.value.parameterTypes ?? []).map(fromProtoType));
    case 'error':
      return T.error;
    default:
      throw new Error(`unsupported conformance type ${k?.case}`);
  }
}

function protoReason(test: IncrementalTest): string | undefined {
  const o = test.original as Any;
  if (o.container) return `container '${o.container}' (protobuf package)`;
  const json = JSON.stringify(o, (key, val) => (key === '$typeName' ? undefined : typeof val === 'bigint' ? String(val) : val));
  if (/"objectValue"/.test(json)) return 'protobuf message value (Any)';
  if (/"enumValue"/.test(json)) return 'protobuf enum value';
  if (/"messageType"/.test(json)) return 'protobuf message type in the type environment';
  if (/"wrapper"/.test(json)) return 'protobuf wrapper type';
  if (/"wellKnown":\{?"?[^}]*1\b|"case":"wellKnown","value":1/.test(json)) return 'google.protobuf.Any';
  let parsed;
  try {
    parsed = parse(o.expr, { macros: !o.disableMacros });
  } catch {
    return undefined;
  }
  let reason: string | undefined;
  const visit = (e: Expr): void => {
    if (reason) return;
    if (e.kind === 'struct') reason = `message construction ${e.typeName}{...}`;
    const name = qualifiedName(e);
    if (name && /^\.?google\.protobuf\.(?!Timestamp$|Duration$)/.test(name)) reason = `protobuf type ${name}`;
    if (name && /(^|\.)(TestAllTypes|NestedTestAllTypes|GlobalEnum|NestedEnum)\b/.test(name)) reason = `protobuf type ${name}`;
    forEachChild(e, visit);
  };
  visit(parsed.expr);
  return reason;
}

function qualifiedName(e: Expr): string | undefined {
  if (e.kind === 'ident') return e.name;
  if (e.kind === 'select') {
    const b = qualifiedName(e.operand);
    return b ? `${b}.${e.field}` : undefined;
  }
  return undefined;
}

/** Conformance equality: types must match exactly (1 is not 1.0), NaN equals NaN, maps unordered. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a !== typeof b) return false;
  if (typeof a !== 'object' || a === null || b === null) return a === b;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a instanceof CelUint) return b instanceof CelUint && a.value === b.value;
  if (a instanceof Uint8Array) return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof CelType) return b instanceof CelType && a.name === b.name;
  if (a instanceof CelTimestamp || a instanceof CelDuration) {
    return b instanceof a.constructor && (a as CelTimestamp).seconds === (b as CelTimestamp).seconds && (a as CelTimestamp).nanos === (b as CelTimestamp).nanos;
  }
  if (a instanceof CelOptional) return b instanceof CelOptional && (a.value === undefined ? b.value === undefined : sameValue(a.value, b.value));
  const am = toEntries(a);
  const bm = toEntries(b);
  if (!am || !bm || am.length !== bm.length) return false;
  return am.every(([k, v]) => bm.some(([k2, v2]) => sameValue(k, k2) && sameValue(v, v2)));
}

function toEntries(m: unknown): [unknown, unknown][] | undefined {
  if (m instanceof CelMap) return [...m];
  if (isPlainObject(m)) return Object.entries(m);
  return undefined;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === 'bigint' ? `${x}` : x instanceof CelUint ? `${x.value}u` : x instanceof CelMap ? Object.fromEntries([...x].map(([k, y]) => [String(k), y])) : x instanceof CelType ? `type:${x.name}` : x instanceof CelError ? `error:${x.message}` : x,
  );
}

function declsToEnv(typeEnv: Any[]): { variables: Map<string, Type>; functions: FunctionDecl[] } {
  const variables = new Map<string, Type>();
  const functions: FunctionDecl[] = [];
  for (const d of typeEnv) {
    if (d.declKind.case === 'ident') variables.set(d.name, fromProtoType(d.declKind.value.type));
    else if (d.declKind.case === 'function') {
      const overloads = d.declKind.value.overloads.map((o: Any) => {
        const params = (o.params ?? []).map(fromProtoType);
        const result = fromProtoType(o.resultType);
        const impl = (): never => {
          throw new CelError(`no implementation for ${d.name}`);
        };
        return o.isInstanceFunction ? memberOverload(o.overloadId, params, result, impl) : globalOverload(o.overloadId, params, result, impl);
      });
      functions.push({ name: d.name, overloads });
    }
  }
  return { variables, functions };
}

/** Runs one conformance case. */
export function runCase(test: IncrementalTest, path: string): CaseOutcome {
  const reason = protoReason(test);
  if (reason) return { path, status: 'proto', detail: reason };
  const o = test.original as Any;
  let decls;
  try {
    decls = declsToEnv(o.typeEnv ?? []);
  } catch (e) {
    return { path, status: 'proto', detail: (e as Error).message };
  }
  const env = new CelEnv({ numericPromotion: false, variables: decls.variables, functions: decls.functions, allowUndeclared: !!o.disableCheck });
  const rm = o.resultMatcher;
  const expectsError = rm.case === 'evalError' || rm.case === 'anyEvalErrors';

  let parsed;
  try {
    parsed = parse(o.expr, { macros: !o.disableMacros });
  } catch (e) {
    return expectsError ? { path, status: 'pass', detail: 'error at parse time' } : { path, status: 'fail', detail: `parse: ${(e as Error).message}` };
  }
  const checked = check(parsed.expr, { variables: env.variables, functions: env.functions, allowUndeclared: !!o.disableCheck });
  if (!o.disableCheck && checked.issues.length) {
    if (expectsError) return { path, status: 'pass', detail: 'error at check time' };
    return { path, status: 'fail', detail: `check: ${checked.issues.map((i) => i.message).join('; ')}` };
  }
  if (rm.case === 'typedResult') {
    const want = typeToString(fromProtoType(rm.value.deducedType));
    const got = typeToString(checked.type);
    if (want !== got) return { path, status: 'fail', detail: `type: want ${want}, got ${got}` };
    if (o.checkOnly || !rm.value.result) return { path, status: 'pass' };
  }
  if (o.checkOnly) return { path, status: 'pass' };

  const slots = new SlotAllocator();
  let out;
  try {
    out = compileChecked(parsed.expr, checked, slots, { functions: env.functions, numericPromotion: false, traced: false });
  } catch (e) {
    return { path, status: 'fail', detail: `compile threw: ${(e as Error).message}` };
  }
  if (out.issues.length) {
    if (expectsError) return { path, status: 'pass', detail: 'error at compile time' };
    return { path, status: 'fail', detail: `compile: ${out.issues.map((i) => i.message).join('; ')}` };
  }
  const vars: Record<string, unknown> = {};
  for (const [name, ev] of Object.entries(o.bindings ?? {}) as [string, Any][]) {
    if (ev.kind.case !== 'value') return { path, status: 'proto', detail: `binding of kind ${ev.kind.case}` };
    vars[name] = fromProtoValue(ev.kind.value);
  }
  let result: unknown;
  try {
    result = out.evaluator(slots.newActivation(vars));
  } catch (e) {
    if (e instanceof CelError) result = e;
    else return { path, status: 'fail', detail: `threw ${(e as Error)?.stack ?? String(e)}` };
  }
  if (expectsError) {
    return result instanceof CelError ? { path, status: 'pass' } : { path, status: 'fail', detail: `want error, got ${show(result)}` };
  }
  if (result instanceof CelError) return { path, status: 'fail', detail: `error: ${result.message}` };
  // An unset result matcher means "evaluates to true" (SimpleTest in cel-spec).
  const expected = rm.case === 'value' ? rm.value : rm.case === 'typedResult' ? rm.value.result : rm.case === undefined ? { kind: { case: 'boolValue', value: true } } : undefined;
  if (!expected) return { path, status: 'fail', detail: `unsupported matcher ${rm.case}` };
  let want: unknown;
  try {
    want = fromProtoValue(expected);
  } catch (e) {
    return { path, status: 'proto', detail: (e as Error).message };
  }
  return sameValue(result, want) ? { path, status: 'pass' } : { path, status: 'fail', detail: `want ${show(want)}, got ${show(result)}` };
}

/** Every case of the suite, with its path `file/section/name`. */
export function allCases(): { path: string; test: IncrementalTest }[] {
  const out: { path: string; test: IncrementalTest }[] = [];
  const walk = (s: ReturnType<typeof getConformanceSuite>, prefix: string[]): void => {
    for (const t of s.tests) out.push({ path: [...prefix, t.name].join('/'), test: t });
    for (const x of s.suites) walk(x, [...prefix, x.name]);
  };
  walk(getConformanceSuite(), []);
  return out;
}

export function runAll(): CaseOutcome[] {
  return allCases().map(({ path, test }) => {
    try {
      return runCase(test, path);
    } catch (e) {
      return { path, status: 'fail', detail: `harness: ${(e as Error).message}` };
    }
  });
}

export { CelCompileError };
