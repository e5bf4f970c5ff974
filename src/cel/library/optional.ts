// CEL optional values: optional.of / ofNonZeroValue / none and the methods
// hasValue, value, or, orValue. (`or`/`orValue` short-circuit; the compiler
// special-cases them. `.?field`, `[?key]` and optional entries are syntax.)

import { CelError } from '../errors.js';
import { mapSize } from '../runtime/equality.js';
import { A, T } from '../types.js';
import { CelDuration, CelMap, CelOptional, CelTimestamp, CelUint, isPlainObject } from '../values.js';
import { type FunctionDecl, globalOverload as g, memberOverload as m } from './overload.js';

/** The zero value of each type: null, false, 0, 0u, 0.0, '', b'', [], {}, duration 0, timestamp 0. */
export function isZeroValue(v: unknown): boolean {
  switch (typeof v) {
    case 'boolean':
      return v === false;
    case 'bigint':
      return v === 0n;
    case 'number':
      return v === 0;
    case 'string':
      return v === '';
    case 'object':
      if (v === null) return true;
      if (Array.isArray(v)) return v.length === 0;
      if (v instanceof Uint8Array) return v.length === 0;
      if (v instanceof CelUint) return v.value === 0n;
      if (v instanceof CelMap || isPlainObject(v)) return mapSize(v) === 0;
      if (v instanceof CelDuration || v instanceof CelTimestamp) return v.seconds === 0 && v.nanos === 0;
      if (v instanceof CelOptional) return v.value === undefined;
      return false;
    default:
      return false;
  }
}

function opt(v: unknown, fn: string): CelOptional {
  if (!(v instanceof CelOptional)) throw new CelError(`${fn}() needs an optional value`);
  return v;
}

export function optionalLibrary(): FunctionDecl[] {
  return [
    { name: 'optional.of', overloads: [g('optional_of', [A], T.optional(A), (v: unknown) => new CelOptional(v))] },
    {
      name: 'optional.ofNonZeroValue',
      overloads: [g('optional_ofNonZeroValue', [A], T.optional(A), (v: unknown) => (isZeroValue(v) ? CelOptional.NONE : new CelOptional(v)))],
    },
    { name: 'optional.none', overloads: [g('optional_none', [], T.optional(A), () => CelOptional.NONE)] },
    { name: 'hasValue', overloads: [m('optional_hasValue', [T.optional(A)], T.bool, (o: unknown) => opt(o, 'hasValue').value !== undefined)] },
    {
      name: 'value',
      overloads: [
        m('optional_value', [T.optional(A)], A, (o: unknown) => {
          const v = opt(o, 'value').value;
          if (v === undefined) throw new CelError('optional.none() has no value: check hasValue() first or use orValue()');
          return v;
        }),
      ],
    },
    {
      name: 'or',
      overloads: [m('optional_or_optional', [T.optional(A), T.optional(A)], T.optional(A), (o: unknown, p: unknown) => (opt(o, 'or').value !== undefined ? o : opt(p, 'or')))],
    },
    {
      name: 'orValue',
      overloads: [m('optional_orValue_value', [T.optional(A), A], A, (o: unknown, v: unknown) => opt(o, 'orValue').value ?? v)],
    },
  ];
}
