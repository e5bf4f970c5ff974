// Human-readable rendering of CEL values: `display` for interpolation into
// reasons (strings unquoted, numbers as people write them) and `literal` for
// explanations (CEL literal syntax, so 'gpt-4' and 4096 read unambiguously).

import { formatDuration, formatTimestamp } from './runtime/time.js';
import { CelError } from './errors.js';
import { CelDuration, CelMap, CelOptional, CelTimestamp, CelType, CelUint, isPlainObject } from './values.js';

const MAX_ITEMS = 20;
const MAX_STRING = 200;

/** For `${...}` in reasons: strings as-is, numbers as people write them (500, 0.25), collections as CEL literals. */
export function display(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v instanceof CelTimestamp) return formatTimestamp(v);
  if (v instanceof CelDuration) return formatDuration(v);
  if (v instanceof CelUint) return v.value.toString();
  return literal(v, Infinity);
}

/** CEL literal syntax, truncated to stay readable. */
export function literal(v: unknown, maxString = MAX_STRING): string {
  switch (typeof v) {
    case 'string': {
      const s = v.length > maxString ? v.slice(0, maxString) + '…' : v;
      return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
    }
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : String(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return String(v);
    case 'undefined':
      return '<absent>';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        const items = v.slice(0, MAX_ITEMS).map((x) => literal(x, maxString));
        if (v.length > MAX_ITEMS) items.push(`… ${v.length - MAX_ITEMS} more`);
        return `[${items.join(', ')}]`;
      }
      if (v instanceof CelUint) return `${v.value}u`;
      if (v instanceof Uint8Array) return `b'${[...v.slice(0, maxString)].map((b) => (b >= 32 && b < 127 && b !== 39 && b !== 92 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}'`;
      if (v instanceof CelTimestamp) return `timestamp('${formatTimestamp(v)}')`;
      if (v instanceof CelDuration) return `duration('${formatDuration(v)}')`;
      if (v instanceof CelType) return v.name;
      if (v instanceof CelOptional) return v.value === undefined ? 'optional.none()' : `optional.of(${literal(v.value, maxString)})`;
      if (v instanceof CelError) return `<error: ${v.message}>`;
      const entries = v instanceof CelMap ? [...v] : isPlainObject(v) ? Object.entries(v).filter(([, x]) => x !== undefined) : undefined;
      if (!entries) return `<${(v as object).constructor?.name ?? 'object'}>`;
      const items = entries.slice(0, MAX_ITEMS).map(([k, x]) => `${literal(k, maxString)}: ${literal(x, maxString)}`);
      if (entries.length > MAX_ITEMS) items.push(`… ${entries.length - MAX_ITEMS} more`);
      return `{${items.join(', ')}}`;
    }
    default:
      return String(v);
  }
}

/** Converts a CEL value to plain JSON data for decisions and obligations (ints become numbers when safe). */
export function toJson(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toJson);
      if (v instanceof CelUint) return v.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v.value) : v.value.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
      if (v instanceof CelTimestamp) return formatTimestamp(v);
      if (v instanceof CelDuration) return formatDuration(v);
      if (v instanceof CelType) return v.name;
      if (v instanceof CelOptional) return v.value === undefined ? null : toJson(v.value);
      if (v instanceof CelMap) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]));
      if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
      return String(v);
    }
    default:
      return v;
  }
}
