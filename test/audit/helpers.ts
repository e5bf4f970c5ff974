// Decisions and streams for the audit tests.

import { Writable } from 'node:stream';
import type { AuditConfig } from '../../src/config/types.js';
import type { Decision } from '../../src/engine/decision.js';
import type { DecisionKind } from '../../src/policy/types.js';

export const AUDIT: AuditConfig = {
  enabled: true,
  log_all_decisions: true,
  log_denied_only: false,
  output: 'stdout',
  file: { path: '/nonexistent/audit.log', max_size_mb: 500, max_files: 20 },
  buffer_size: 10_000,
};

export function decision(kind: DecisionKind, id: string | number): Decision {
  const allowed = kind === 'allow' || kind === 'warn' || kind === 'modify';
  return {
    decision: kind,
    allowed,
    reason: allowed ? '' : `${kind} by rule`,
    matched: allowed ? [] : [{ policy: 'p', namespace: 'default', rule: 'r', decision: kind, reason: 'why', severity: 'high', mode: 'enforce' }],
    obligations: { modifications: [], suggestions: [], ...(kind === 'throttle' && { retry_after_ms: 2000 }) },
    errors: [],
    warnings: [],
    revision: 'rev-1',
    cached: false,
    evaluation_time_us: 12,
    decision_id: String(id),
  };
}

/** A stream that keeps what it is given, writing each chunk after `delayMs`, and checks write() is not called while it asked for a drain. */
export class SlowSink extends Writable {
  text = '';
  writesWhileFull = 0;
  constructor(private readonly delayMs = 0, highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (this.writableNeedDrain) this.writesWhileFull++;
    return (super.write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const done = () => {
      this.text += chunk.toString();
      cb();
    };
    if (this.delayMs > 0) setTimeout(done, this.delayMs);
    else done();
  }
  lines(): Record<string, unknown>[] {
    return this.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
