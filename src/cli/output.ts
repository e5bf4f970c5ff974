// Small helpers for CLI output.

/** JSON that survives bigints (printed as numbers when safe, strings otherwise). */
export function toJsonText(v: unknown, pretty = true): string {
  return JSON.stringify(
    v,
    (_k, x) => (typeof x === 'bigint' ? (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(x) : x.toString()) : x),
    pretty ? 2 : undefined,
  );
}

export function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');
}

/** Thrown for bad command-line use: printed without a stack, exit code 2. */
export class UsageError extends Error {}
