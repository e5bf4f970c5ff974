// Worker processes' audit lines reach the primary's one destination whole and
// in order, however long the lines and however many workers write at once.

import { type ChildProcess, fork } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, test } from 'vitest';
import { IpcStreamHost, IpcWritable } from '../../src/daemon/ipc-stream.js';

const WORKER = new URL('./ipc-stream-worker.ts', import.meta.url).pathname;

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    this.text += String(chunk);
    cb();
  }
}

describe('IpcWritable and IpcStreamHost', () => {
  test('three workers × 2,000 lines of 10 KB: every line arrives whole, each worker in order', async ({ expect }) => {
    const dest = new Collect();
    const host = new IpcStreamHost({ audit: dest });
    const workers: ChildProcess[] = ['a', 'b', 'c'].map((tag) => {
      const c = fork(WORKER, [tag, '2000', '10000'], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      host.serve(c);
      return c;
    });
    await Promise.all(workers.map((c) => new Promise<void>((resolve) => c.on('message', (m: { t?: string }) => m.t === 'done' && (c.disconnect(), resolve())))));
    const lines = dest.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(6000);
    for (const tag of ['a', 'b', 'c']) {
      const mine = lines.filter((l) => l.startsWith(`${tag} `));
      expect(mine).toHaveLength(2000);
      mine.forEach((l, i) => expect(l).toBe(`${tag} ${i} ${'x'.repeat(10000)}`));
    }
  }, 60_000);

  test('without an IPC channel a write fails with a clear error (and the host ignores other messages)', async ({ expect }) => {
    const out = new IpcWritable('log', {});
    const err = await new Promise<Error>((resolve) => {
      out.on('error', resolve);
      out.write('line\n');
    });
    expect(err.message).toMatch(/IPC channel to the primary process is closed/);
    const dest = new Collect();
    const listeners: ((m: unknown) => void)[] = [];
    new IpcStreamHost({ log: dest }).serve({ on: (_e, l) => listeners.push(l) });
    for (const m of [null, 'x', { t: 'other', text: 'no' }, { t: 'policy-engine:stream', stream: 'audit', text: 'no destination' }, { t: 'policy-engine:stream', stream: 'log', text: 'yes\n' }]) listeners[0]!(m);
    expect(dest.text).toBe('yes\n');
  });
});
