// The rotating file writes in batches (coalesceMs); the files it leaves must
// be the ones writing chunk by chunk leaves: the same lines in the same files.

import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openRotatingFile } from '../../src/observability/rotating-file.js';

function temp(): string {
  return mkdtempSync(join(tmpdir(), 'rotating-file-'));
}

function end(s: Writable): Promise<void> {
  return new Promise((resolve) => s.end(() => resolve()));
}

function files(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

const line = (i: number) => `{"i":${i},"text":"${'é'.repeat(i % 7)} a line of some length"}\n`;

describe('openRotatingFile', () => {
  it('leaves the files chunk-by-chunk writing leaves, at any batching', async () => {
    const results: Record<string, string>[] = [];
    for (const coalesceMs of [0, 10, 1000]) {
      const dir = temp();
      // A file that is already there counts towards the first rotation.
      writeFileSync(join(dir, 'audit.log'), 'x'.repeat(700) + '\n');
      const s = openRotatingFile({ path: join(dir, 'audit.log'), maxSizeMb: 2048 / (1024 * 1024), maxFiles: 3, coalesceMs });
      for (let i = 0; i < 300; i++) {
        s.write(line(i));
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 3));
      }
      s.write(Buffer.from('a buffer among strings\n'));
      s.write('');
      await end(s);
      results.push(files(dir));
    }
    expect(Object.keys(results[0]!)).toEqual(['audit.log', 'audit.log.1', 'audit.log.2', 'audit.log.3']);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('calls a write back once its bytes are in the file; writes after a quiet spell go at once', async () => {
    const dir = temp();
    const path = join(dir, 'engine.log');
    const s = openRotatingFile({ path, maxSizeMb: 1, maxFiles: 2, coalesceMs: 50 });
    await new Promise<void>((resolve) => s.write('one\n', () => resolve()));
    expect(readFileSync(path, 'utf8')).toBe('one\n');
    const t0 = Date.now();
    // Within the interval: held, then written with what came meanwhile.
    await new Promise<void>((resolve) => {
      s.write('two\n');
      s.write('three\n', () => resolve());
    });
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\nthree\n');
    expect(Date.now() - t0).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 60));
    const t1 = performance.now();
    await new Promise<void>((resolve) => s.write('four\n', () => resolve()));
    expect(performance.now() - t1).toBeLessThan(45);
    await end(s);
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\nthree\nfour\n');
  });

  it('a destroyed file calls the write it holds back with an error', async () => {
    const dir = temp();
    const s = openRotatingFile({ path: join(dir, 'x.log'), maxSizeMb: 1, maxFiles: 1, coalesceMs: 10_000 });
    s.on('error', () => undefined);
    await new Promise<void>((resolve) => s.write('first\n', () => resolve()));
    const held = new Promise<Error | null | undefined>((resolve) => s.write('held\n', (e) => resolve(e)));
    s.destroy();
    expect(await held).toBeInstanceOf(Error);
  });
});
