// The auditor: every audited decision written exactly once and in order,
// denied-only filtering, a bounded buffer whose drops are counted and marked in
// the trail, backpressure respected, everything flushed on close, rotation.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Auditor } from '../../src/audit/auditor.js';
import type { DecisionKind } from '../../src/policy/types.js';
import { AUDIT, decision, SlowSink } from './helpers.js';

const dirs: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pe-audit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function counted() {
  const c = { written: 0, dropped: 0, errors: [] as Error[] };
  return { c, hooks: { onWritten: (n: number) => (c.written += n), onDropped: (n: number) => (c.dropped += n), onError: (e: Error) => c.errors.push(e) } };
}

const ids = (lines: Record<string, unknown>[]) => lines.filter((l) => l.type === 'decision').map((l) => l.decision_id);

describe('writing', () => {
  it('writes every record exactly once, in order, across many batches', async () => {
    const out = new SlowSink();
    const { c, hooks } = counted();
    const a = new Auditor(AUDIT, hooks, { stdout: out, batchSize: 64 });
    const n = 2000;
    for (let i = 0; i < n; i++) expect(a.record(decision(i % 2 ? 'allow' : 'deny', i))).toBe(true);
    await a.flush();
    expect(ids(out.lines())).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(c).toEqual({ written: n, dropped: 0, errors: [] });
    expect(a.stats()).toEqual({ buffered: 0, written: n, dropped: 0 });
    await a.close();
    expect(out.writableEnded).toBe(false); // stdout is not ours to end
  });

  it('returns from record() before anything is written', () => {
    const out = new SlowSink();
    const a = new Auditor(AUDIT, {}, { stdout: out });
    a.record(decision('deny', 1));
    expect(out.text).toBe('');
    expect(a.stats().buffered).toBe(1);
  });

  it('keeps who, what and why, but not the prompt', async () => {
    const out = new SlowSink();
    const a = new Auditor(AUDIT, {}, { stdout: out });
    const context = { user: { id: 'u-7' }, request: { model: 'gpt-4o', prompt: 'my card is 4111 1111 1111 1111' }, team: { id: 't' } };
    a.record(decision('throttle', 'd-1'), { context, traceId: 'tr-1', transport: 'grpc', dryRun: true });
    a.record(decision('allow', 'd-2'), { context: { user: { id: 5 } } });
    await a.close();
    expect(out.text).not.toContain('4111');
    const [first, second] = out.lines();
    expect(first).toEqual({
      type: 'decision',
      decision_id: 'd-1',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
      decision: 'throttle',
      allowed: false,
      reason: 'throttle by rule',
      matched: [{ policy: 'p', rule: 'r', decision: 'throttle', mode: 'enforce' }],
      obligations: { modifications: 0, suggestions: 0, retry_after_ms: 2000 },
      revision: 'rev-1',
      evaluation_time_us: 12,
      cached: false,
      dry_run: true,
      transport: 'grpc',
      trace_id: 'tr-1',
      user_id: 'u-7',
      model: 'gpt-4o',
    });
    expect(second).toMatchObject({ decision_id: 'd-2', user_id: '5' });
    expect(second).not.toHaveProperty('model');
    expect(second).not.toHaveProperty('trace_id');
  });
});

describe('which decisions', () => {
  const kinds: DecisionKind[] = ['allow', 'deny', 'throttle', 'warn', 'modify'];
  async function audited(config: Partial<typeof AUDIT>): Promise<unknown[]> {
    const out = new SlowSink();
    const a = new Auditor({ ...AUDIT, ...config }, {}, { stdout: out });
    kinds.forEach((k) => a.record(decision(k, k)));
    await a.close();
    return ids(out.lines());
  }

  it('log_all_decisions: every decision', async () => {
    expect(await audited({})).toEqual(kinds);
  });
  it('log_denied_only: deny and throttle (it wins over log_all_decisions)', async () => {
    expect(await audited({ log_denied_only: true })).toEqual(['deny', 'throttle']);
    expect(await audited({ log_denied_only: true, log_all_decisions: false })).toEqual(['deny', 'throttle']);
  });
  it('neither: none; enabled false: none, and no sink is opened', async () => {
    expect(await audited({ log_all_decisions: false })).toEqual([]);
    expect(await audited({ enabled: false, output: 'governance' })).toEqual([]);
  });
});

describe('a full buffer', () => {
  it('drops and counts what does not fit, and marks the gap in the trail', async () => {
    const out = new SlowSink();
    const { c, hooks } = counted();
    const a = new Auditor({ ...AUDIT, buffer_size: 10 }, hooks, { stdout: out });
    for (let i = 0; i < 15; i++) a.record(decision('deny', i));
    expect(c.dropped).toBe(5);
    await a.flush();
    for (let i = 15; i < 18; i++) a.record(decision('deny', i));
    await a.flush();
    const lines = out.lines();
    expect(lines.map((l) => (l.type === 'dropped' ? `-${l.dropped as number}` : l.decision_id))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-5', '15', '16', '17']);
    expect(c).toEqual({ written: 13, dropped: 5, errors: [] });
    expect(a.stats()).toEqual({ buffered: 0, written: 13, dropped: 5 });
  });

  it('marks drops at the end of the trail on close', async () => {
    const out = new SlowSink();
    const a = new Auditor({ ...AUDIT, buffer_size: 2 }, {}, { stdout: out });
    for (let i = 0; i < 5; i++) a.record(decision('deny', i));
    await a.close();
    expect(out.lines().map((l) => l.decision_id ?? l.dropped)).toEqual(['0', '1', 3]);
  });

  it('respects the stream: nothing more is written until it drains; the buffer absorbs the rest', async () => {
    const out = new SlowSink(2, 256);
    const { c, hooks } = counted();
    const a = new Auditor({ ...AUDIT, buffer_size: 100 }, hooks, { stdout: out, batchSize: 5 });
    let next = 0;
    // Three bursts of 60 while the stream crawls: the stream never takes more than one batch
    // past its highWaterMark, the buffer fills, and every record is written or counted.
    for (let burst = 0; burst < 3; burst++) {
      for (let i = 0; i < 60; i++) a.record(decision('deny', next++));
      await new Promise((r) => setTimeout(r, 5));
    }
    await a.close();
    expect(out.writesWhileFull).toBe(0);
    expect(c.dropped).toBeGreaterThan(0);
    expect(c.written + c.dropped).toBe(180);
    const written = ids(out.lines()).map(Number);
    expect(written).toHaveLength(c.written);
    expect(written).toEqual([...written].sort((x, y) => x - y));
    expect(out.lines().filter((l) => l.type === 'dropped').reduce((n, l) => n + (l.dropped as number), 0)).toBe(c.dropped);
  });
});

describe('shutdown and failures', () => {
  it('close() writes everything buffered, then counts later records as dropped', async () => {
    const path = join(temp(), 'nested', 'audit.log');
    const { c, hooks } = counted();
    const a = new Auditor({ ...AUDIT, output: 'file', file: { path, max_size_mb: 10, max_files: 2 } }, hooks);
    for (let i = 0; i < 500; i++) a.record(decision('deny', i));
    await a.close();
    expect(a.record(decision('deny', 'late'))).toBe(false);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ids(lines)).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
    expect(c).toEqual({ written: 500, dropped: 1, errors: [] });
    await a.close(); // idempotent
  });

  it('a failing sink: reported once, its records counted as dropped, flush does not hang', async () => {
    const broken = new Writable({ write: (_c, _e, cb) => cb(new Error('disk full')) });
    const { c, hooks } = counted();
    const a = new Auditor(AUDIT, hooks, { stdout: broken });
    for (let i = 0; i < 5; i++) a.record(decision('deny', i));
    await a.flush();
    a.record(decision('deny', 'after'));
    await a.close();
    expect(c.errors.map((e) => e.message)).toEqual(['disk full']);
    expect(c.written).toBe(0);
    expect(c.dropped).toBe(6);
  });

  it("output 'governance' writes to stdout until that integration exists (start-up says so)", async () => {
    const out = new SlowSink();
    const a = new Auditor({ ...AUDIT, output: 'governance' }, {}, { stdout: out });
    a.record(decision('deny', 'g1'));
    await a.close();
    expect(ids(out.lines())).toEqual(['g1']);
  });

  it('a file that cannot be created is an error naming it', () => {
    const blocker = join(temp(), 'file');
    writeFileSync(blocker, '');
    const path = join(blocker, 'audit.log');
    expect(() => new Auditor({ ...AUDIT, output: 'file', file: { path, max_size_mb: 1, max_files: 1 } })).toThrow(path);
  });
});

describe('file rotation', () => {
  it('rotates at max_size_mb, keeps max_files rotated files, loses no line within them', async () => {
    const dir = temp();
    const path = join(dir, 'audit.log');
    const size = 8 * 1024;
    const { c, hooks } = counted();
    const a = new Auditor({ ...AUDIT, output: 'file', file: { path, max_size_mb: size / (1024 * 1024), max_files: 3 } }, hooks, { batchSize: 8 });
    for (let i = 0; i < 400; i++) a.record(decision('deny', i));
    await a.close();
    expect(c.written).toBe(400);
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    const files = ['audit.log.3', 'audit.log.2', 'audit.log.1', 'audit.log'];
    const kept = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean)).map((l) => Number((JSON.parse(l) as { decision_id: string }).decision_id));
    expect(kept.at(-1)).toBe(399);
    expect(kept).toEqual(kept.map((_, k) => kept[0]! + k)); // consecutive: the oldest files went, nothing in between
  });
});
