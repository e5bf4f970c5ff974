// Expression fields accept YAML numbers and booleans (`max: 1024`, `when: true`);
// the CEL compiler wants text. Numbers keep their spelling when CEL can read it,
// so `1.0` stays a double and `at()` still maps onto the file exactly.

import type { RawExpression } from './raw.js';

/** CEL int literals (decimal without leading zeros, or hex) and double literals. */
const CEL_NUMBER = /^-?(?:0x[0-9a-fA-F]+|0|[1-9]\d*|\d*\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)$/;

/** The CEL text for an expression value; `raw` is how a number was written in the file. */
export function celText(value: RawExpression, raw: string | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (raw !== undefined && CEL_NUMBER.test(raw)) return raw;
  // Spellings CEL lacks (`+5`, `0o17`, `1.`, `1E3` is fine): an int stays an int, anything written as a float stays a double.
  const writtenAsFloat = raw !== undefined && !/^[-+]?0[xo]/i.test(raw) && /[.eE]/.test(raw);
  if (Number.isInteger(value) && !writtenAsFloat) return String(value);
  const s = String(value);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
