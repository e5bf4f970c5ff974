// Limits shared by worker processes through the primary (IpcLimitStore):
// three real child processes fire 600 requests at once at one budget; exactly
// what fits is admitted, as with one process.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { IpcLimitStoreHost } from '../../src/limits/ipc-store.js';

const WORKER = fileURLToPath(new URL('./ipc-worker.ts', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function once<T>(c: ChildProcess, t: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if ((m as { t?: string }).t !== t) return;
      c.off('message', onMessage);
      resolve(m as T);
    };
    c.on('message', onMessage);
    c.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
}

async function run(variant: 'budget' | 'rate'): Promise<{ admitted: number; byUser: Record<string, number> }[]> {
  const host = new IpcLimitStoreHost();
  const mine: ChildProcess[] = [];
  for (let i = 0; i < 3; i++) {
    const c = fork(WORKER, [variant], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(c);
    mine.push(c);
    host.serve(c);
  }
  await Promise.all(mine.map((c) => once(c, 'ready')));
  const results = await Promise.all(
    mine.map((c) => {
      const done = once<{ admitted: number; byUser: Record<string, number> }>(c, 'done');
      c.send({ t: 'go', n: 200, users: ['alice', 'bob', 'carol', 'dave'] });
      return done;
    }),
  );
  for (const c of mine) c.kill();
  host.close();
  return results;
}

describe('IpcLimitStore', () => {
  test('three worker processes, 600 requests at once: a shared budget admits exactly what fits', async () => {
    // $1 at $0.03 a request admits exactly 33.
    const results = await run('budget');
    expect(results.reduce((n, r) => n + r.admitted, 0)).toBe(33);
  }, 60_000);

  test('three worker processes, 600 requests at once: each user gets exactly their 50 a minute', async () => {
    const results = await run('rate');
    const total: Record<string, number> = {};
    for (const r of results) for (const [u, n] of Object.entries(r.byUser)) total[u] = (total[u] ?? 0) + n;
    expect(total).toEqual({ alice: 50, bob: 50, carol: 50, dave: 50 });
  }, 60_000);
});
