// The logger as the `logging` section configures it: level, json and plain
// formats, stdout/stderr/file outputs, size rotation, and which request
// fields are included.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoggingConfig } from '../../src/config/types.js';
import { createLogger, requestFields } from '../../src/observability/logger.js';
import { formatPlainLine } from '../../src/observability/plain-format.js';

const BASE: LoggingConfig = {
  level: 'info',
  format: 'json',
  output: 'stdout',
  file: { path: '/nonexistent/engine.log', max_size_mb: 100, max_files: 10, rotate: true },
  include_trace_id: true,
  include_user_id: true,
  include_metadata: true,
};

const dirs: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pe-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function captured(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

describe('json format', () => {
  it('writes one JSON object per line with an ISO time, the level name and the message', async () => {
    const out = captured();
    const log = createLogger(BASE, { stream: out.stream });
    log.logger.info({ count: 3 }, 'policies loaded');
    await log.flush();
    const [line] = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ level: 'info', msg: 'policies loaded', count: 3, pid: process.pid });
    expect(line!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("answers pino's own logger.flush(cb)", async () => {
    const out = captured();
    const log = createLogger(BASE, { stream: out.stream });
    log.logger.info('x');
    await new Promise<void>((resolve, reject) => log.logger.flush((e) => (e ? reject(e) : resolve())));
    expect(out.lines()).toHaveLength(1);
  });

  it('drops lines below the configured level', async () => {
    const out = captured();
    const log = createLogger({ ...BASE, level: 'warn' }, { stream: out.stream });
    log.logger.debug('d');
    log.logger.info('i');
    log.logger.warn('w');
    log.logger.error('e');
    await log.flush();
    expect(out.lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
    expect(log.logger.isLevelEnabled('trace')).toBe(false);
    const all = createLogger({ ...BASE, level: 'trace' }, { stream: captured().stream });
    expect(all.logger.isLevelEnabled('trace')).toBe(true);
  });
});

describe('plain format', () => {
  it('writes time, level, message, then key=value pairs', async () => {
    const out = captured();
    const log = createLogger({ ...BASE, format: 'plain' }, { stream: out.stream });
    log.logger.warn({ dir: '/etc/policies', count: 2, reason: 'two words', nested: { a: 1 } }, 'reload failed');
    await log.flush();
    const [line] = out.lines();
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z WARN  reload failed dir=\/etc\/policies count=2 reason="two words" nested=\{"a":1\}$/);
    expect(line).not.toContain('pid=');
  });

  it('puts an error message on the line and its stack below, indented', () => {
    const err = new Error('boom');
    const json = JSON.stringify({ time: 't', level: 'error', msg: 'failed', err: { type: 'Error', message: err.message, stack: err.stack } });
    const text = formatPlainLine(json);
    expect(text.split('\n')[0]).toBe('t ERROR failed err=boom');
    expect(text.split('\n')[1]).toBe('    Error: boom');
    expect(text.endsWith('\n')).toBe(true);
    expect(formatPlainLine('not json')).toBe('not json\n');
  });
});

describe('outputs', () => {
  const script = fileURLToPath(new URL('./logger-child.ts', import.meta.url));
  it.each(['stdout', 'stderr'] as const)('%s writes to that stream of the process', (output) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, output], { encoding: 'utf8', cwd: process.cwd() });
    expect(r.status, r.stderr).toBe(0);
    const [mine, other] = output === 'stdout' ? [r.stdout, r.stderr] : [r.stderr, r.stdout];
    expect(mine).toContain('"msg":"hello"');
    expect(other).not.toContain('hello');
  });

  it('file without rotation: creates the directory and appends', async () => {
    const path = join(temp(), 'a', 'b', 'engine.log');
    const cfg: LoggingConfig = { ...BASE, output: 'file', file: { ...BASE.file, path, rotate: false } };
    let log = createLogger(cfg);
    log.logger.info('one');
    await log.close();
    log = createLogger(cfg);
    log.logger.info('two');
    log.logger.info({}, 'after close is harmless');
    await log.close();
    log.logger.info('ignored');
    const msgs = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['one', 'two', 'after close is harmless']);
  });

  it('file with rotation: rotates at max_size_mb and keeps max_files rotated files', async () => {
    const dir = temp();
    const path = join(dir, 'engine.log');
    const size = 2048;
    const log = createLogger({ ...BASE, output: 'file', file: { path, max_size_mb: size / (1024 * 1024), max_files: 2, rotate: true } });
    for (let i = 0; i < 200; i++) log.logger.info({ i }, 'a line of about one hundred bytes, give or take');
    await log.flush();
    await log.close();
    log.logger.info('after close is harmless');
    expect(readdirSync(dir).sort()).toEqual(['engine.log', 'engine.log.1', 'engine.log.2']);
    const lineMax = 200;
    for (const f of ['engine.log.1', 'engine.log.2']) {
      const st = statSync(join(dir, f));
      expect(st.size).toBeGreaterThanOrEqual(size);
      expect(st.size).toBeLessThan(size + lineMax);
    }
    // The newest lines are in the live file and .1, in order, with no line split across files.
    const newest = [...readFileSync(join(dir, 'engine.log.1'), 'utf8').trim().split('\n'), ...readFileSync(path, 'utf8').trim().split('\n').filter(Boolean)];
    const is = newest.map((l) => (JSON.parse(l) as { i: number }).i);
    expect(is.at(-1)).toBe(199);
    expect(is).toEqual(is.map((_, k) => is[0]! + k));
  });

  it('a file path that cannot be created is an error naming it', () => {
    const blocker = join(temp(), 'file');
    writeFileSync(blocker, '');
    const path = join(blocker, 'engine.log');
    expect(() => createLogger({ ...BASE, output: 'file', file: { ...BASE.file, path } })).toThrow(path);
    expect(() => createLogger({ ...BASE, output: 'file', file: { ...BASE.file, path, rotate: false } })).toThrow(path);
    expect(existsSync(path)).toBe(false);
  });
});

describe('request fields', () => {
  const ctx = { user: { id: 'u-1', tier: 'pro' }, request: { prompt: 'secret' }, metadata: { request_id: 'req-1' } };

  it('includes trace_id, user_id and metadata when enabled, nothing else from the context', () => {
    expect(requestFields(BASE, ctx, 'trace-9')).toEqual({ trace_id: 'trace-9', user_id: 'u-1', metadata: { request_id: 'req-1' } });
    const log = createLogger(BASE, { stream: captured().stream });
    expect(log.requestFields(ctx, 'trace-9')).toEqual(requestFields(BASE, ctx, 'trace-9'));
  });

  it('leaves out each field that is turned off or absent', () => {
    expect(requestFields({ ...BASE, include_trace_id: false }, ctx, 't')).toEqual({ user_id: 'u-1', metadata: { request_id: 'req-1' } });
    expect(requestFields({ ...BASE, include_user_id: false, include_metadata: false }, ctx, 't')).toEqual({ trace_id: 't' });
    expect(requestFields(BASE, { user: { id: 42 } })).toEqual({ user_id: '42' });
    expect(requestFields(BASE, { user: { id: { x: 1 } }, metadata: 'no' })).toEqual({});
    expect(requestFields(BASE, undefined)).toEqual({});
  });

  it('carries them on request log lines through a child logger', async () => {
    const out = captured();
    const log = createLogger({ ...BASE, include_metadata: false }, { stream: out.stream });
    log.logger.child(log.requestFields(ctx, 'abc')).info('decided');
    await log.flush();
    const line = JSON.parse(out.lines()[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ trace_id: 'abc', user_id: 'u-1', msg: 'decided' });
    expect(line).not.toHaveProperty('metadata');
  });
});
