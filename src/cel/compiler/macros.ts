// Comprehension macros compiled to plain loops over a slot-addressed
// variable. Error semantics follow the CEL spec: all() is false if any
// element is false even when others error; exists() is true if any is true;
// exists_one, map, filter and the transforms propagate the first error.

import type { MacroName } from '../ast.js';
import { CelError, noSuchOverload } from '../errors.js';
import { CelMap, kindName } from '../values.js';
import { iterationKeys, iterationPairs } from './access.js';
import type { Evaluator } from './dispatch.js';

export interface MacroParts {
  readonly macro: MacroName;
  readonly range: Evaluator;
  /** Slots of the one or two iteration variables. */
  readonly slots: readonly number[];
  readonly filter: Evaluator | undefined;
  readonly step: Evaluator;
}

function absorb(e: unknown): CelError {
  if (e instanceof CelError) return e;
  throw e;
}

function bool(v: unknown, what: string): boolean {
  if (v === true || v === false) return v;
  throw noSuchOverload(what, kindName(v));
}

export function compileMacro(p: MacroParts): Evaluator {
  const { range, step, filter, slots } = p;
  const s0 = slots[0]!;
  const two = slots.length === 2;
  const s1 = slots[1] ?? -1;

  // Each loop assigns the variables for one element, then runs the body.
  const forEach = (a: Parameters<Evaluator>[0], body: () => boolean | void): void => {
    const r = range(a);
    if (two) {
      for (const [k, v] of iterationPairs(r, p.macro)) {
        a.slots[s0] = k;
        a.slots[s1] = v;
        if (body() === false) return;
      }
    } else {
      for (const k of iterationKeys(r, p.macro)) {
        a.slots[s0] = k;
        if (body() === false) return;
      }
    }
  };

  const keep = filter ? (a: Parameters<Evaluator>[0]) => bool(filter(a), 'filter') : () => true;

  switch (p.macro) {
    case 'all':
      return (a) => {
        let err: CelError | undefined;
        let result = true;
        forEach(a, () => {
          try {
            if (!bool(step(a), 'all')) {
              result = false;
              return false;
            }
          } catch (e) {
            err ??= absorb(e);
          }
          return true;
        });
        if (!result) return false;
        if (err) throw err;
        return true;
      };
    case 'exists':
      return (a) => {
        let err: CelError | undefined;
        let result = false;
        forEach(a, () => {
          try {
            if (bool(step(a), 'exists')) {
              result = true;
              return false;
            }
          } catch (e) {
            err ??= absorb(e);
          }
          return true;
        });
        if (result) return true;
        if (err) throw err;
        return false;
      };
    case 'exists_one':
      return (a) => {
        let n = 0;
        forEach(a, () => {
          if (bool(step(a), 'exists_one')) n++;
        });
        return n === 1;
      };
    case 'map':
    case 'transformList':
      return (a) => {
        const out: unknown[] = [];
        forEach(a, () => {
          if (keep(a)) out.push(step(a));
        });
        return out;
      };
    case 'filter':
      return (a) => {
        const out: unknown[] = [];
        forEach(a, () => {
          if (bool(step(a), 'filter')) out.push(a.slots[s0]);
        });
        return out;
      };
    case 'transformMap':
      return (a) => {
        const out = new CelMap();
        forEach(a, () => {
          if (keep(a)) out.set(a.slots[s0], step(a));
        });
        return out;
      };
    case 'transformMapEntry':
      return (a) => {
        const out = new CelMap();
        forEach(a, () => {
          if (!keep(a)) return;
          const entry = step(a);
          const m = entry instanceof CelMap ? [...entry] : entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? Object.entries(entry) : undefined;
          if (!m) throw noSuchOverload('transformMapEntry', kindName(entry));
          for (const [k, v] of m) {
            if (!out.set(k, v)) throw new CelError(`transformMapEntry(): duplicate key ${String(k)}`);
          }
        });
        return out;
      };
    default:
      return p.macro satisfies never;
  }
}
