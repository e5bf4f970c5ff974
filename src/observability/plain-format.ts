// `logging.format: plain`: pino's JSON lines rewritten for people reading a
// terminal — `2025-01-31T09:30:00.000Z INFO  policies loaded count=12 dir=/etc/p`.
// Our own few lines instead of pino-pretty: no extra dependency, no worker
// thread, and the output is stable enough to grep.

/** Fields shown in the line's prefix, or not at all, rather than as key=value. */
const PREFIX_KEYS = new Set(['time', 'level', 'msg', 'pid', 'hostname']);

/** One JSON log line → one human-readable line (an error's stack follows, indented). */
export function formatPlainLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`; // not ours to reformat
  }
  const level = String(o.level ?? '').toUpperCase().padEnd(5);
  let line = `${String(o.time ?? '')} ${level} ${typeof o.msg === 'string' ? o.msg : ''}`.trimEnd();
  let stack = '';
  for (const [k, v] of Object.entries(o)) {
    if (PREFIX_KEYS.has(k) || v === undefined) continue;
    if (isError(v)) {
      line += ` ${k}=${quote(v.message)}`;
      if (typeof v.stack === 'string') stack += `\n    ${v.stack.split('\n').join('\n    ')}`;
      continue;
    }
    line += ` ${k}=${typeof v === 'string' ? quote(v) : JSON.stringify(v)}`;
  }
  return `${line}${stack}\n`;
}

/** Bare words stay bare; anything with spaces, quotes or `=` is JSON-quoted so the line still splits cleanly. */
function quote(s: string): string {
  return s !== '' && /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

function isError(v: unknown): v is { message: string; stack?: unknown } {
  return typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string' && 'stack' in v;
}
