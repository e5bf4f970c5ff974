// The policy watcher: reports added, changed and removed policy files within
// the debounce, collapses bursts, ignores files the loader does not read, and
// follows a Kubernetes-style ConfigMap update (an atomic symlink swap).

import { mkdtempSync, rmSync, writeFileSync, mkdirSync, symlinkSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { PolicyWatcher } from '../../src/sources/directory-watch.js';

const dirs: string[] = [];
const watchers: PolicyWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pe-watch-'));
  dirs.push(d);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `count()` reaches `n`, or fails after `ms`. */
async function until(count: () => number, n: number, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (count() < n) {
    if (Date.now() > end) throw new Error(`expected ${n} changes, saw ${count()}`);
    await sleep(10);
  }
}

async function watching(paths: string[], pollMs = 200) {
  let changes = 0;
  const w = new PolicyWatcher(paths, async () => void changes++, { debounceMs: 50, pollMs });
  watchers.push(w);
  await w.start();
  return { count: () => changes };
}

describe('PolicyWatcher', () => {
  test('a changed, an added and a removed policy file are each reported', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'a.yaml'), 'a: 1\n');
    const w = await watching([d]);
    writeFileSync(join(d, 'a.yaml'), 'a: 2\n');
    await until(w.count, 1);
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub', 'b.json'), '{}');
    await until(w.count, 2);
    unlinkSync(join(d, 'a.yaml'));
    await until(w.count, 3);
  });

  test('a burst of writes is one change; files the loader skips are no change', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'a.yaml'), 'a: 0\n');
    const w = await watching([d]);
    for (let i = 1; i <= 20; i++) writeFileSync(join(d, 'a.yaml'), `a: ${i}\n${'x: 1\n'.repeat(i)}`);
    await until(w.count, 1);
    await sleep(400);
    expect(w.count()).toBe(1);
    writeFileSync(join(d, 'notes.txt'), 'not a policy');
    writeFileSync(join(d, '.hidden.yaml'), 'a: 1\n');
    await sleep(400);
    expect(w.count()).toBe(1);
  });

  test('a ConfigMap-style update (the ..data symlink swapped atomically) is seen', async () => {
    const d = tempDir();
    mkdirSync(join(d, '..v1'));
    writeFileSync(join(d, '..v1', 'p.yaml'), 'v: 1\n');
    symlinkSync('..v1', join(d, '..data'));
    symlinkSync(join('..data', 'p.yaml'), join(d, 'p.yaml'));
    const w = await watching([d]);
    mkdirSync(join(d, '..v2'));
    writeFileSync(join(d, '..v2', 'p.yaml'), 'v: 2 # longer\n');
    symlinkSync('..v2', join(d, '..data_tmp'));
    renameSync(join(d, '..data_tmp'), join(d, '..data'));
    await until(w.count, 1);
  });

  test('after close, nothing is reported', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'a.yaml'), 'a: 1\n');
    const w = await watching([d]);
    watchers[0]!.close();
    writeFileSync(join(d, 'a.yaml'), 'a: 2\n');
    await sleep(400);
    expect(w.count()).toBe(0);
  });
});
