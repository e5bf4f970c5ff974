// The daemon's start-up memory (src/observability/young-generation.ts): V8's
// young generation stays at its initial size while the daemon starts, and
// grows again once it serves — read from the daemon's own process metrics
// (prom-client's nodejs_heap_space_size_total_bytes).

import { afterAll, beforeAll, expect, test } from 'vitest';
import { type DaemonProcess, metric, postJson, startDaemon } from './daemon-process.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './daemon-process.js';

const MiB = 1024 * 1024;
const BENCH = join(ROOT, 'bench');
const policies = Object.fromEntries(readdirSync(join(BENCH, 'policies')).map((f) => [f, readFileSync(join(BENCH, 'policies', f), 'utf8')]));
const contexts = readdirSync(join(BENCH, 'contexts')).map((f) => JSON.parse(readFileSync(join(BENCH, 'contexts', f), 'utf8')) as unknown);

let daemon: DaemonProcess;
beforeAll(async () => {
  // The bench's 22-rule set: a start-up that compiles real policies; no audit file to write.
  daemon = await startDaemon({ policies, config: { audit: { enabled: false } } });
}, 30_000);
afterAll(async () => {
  await daemon?.stop();
});

const newSpace = async () => metric(await daemon.metrics(), 'nodejs_heap_space_size_total_bytes', { space: 'new' });

test('the young generation is still small once the daemon is ready, and grows under load', async () => {
  const atStart = await newSpace();
  expect(atStart, daemon.output).toBeDefined();
  // V8's default growth would have taken it to 32 MB while the modules loaded and the policies compiled.
  expect(atStart!).toBeLessThanOrEqual(4 * MiB);

  // 4,000 decisions, 16 at a time: with the growth factor back at V8's default the young generation grows.
  let next = 0;
  const worker = async () => {
    while (next < 4000) {
      const r = await postJson(`${daemon.httpBase}/v1/evaluate`, { context: contexts[next++ % contexts.length] });
      expect(r.status).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  expect(await newSpace()).toBeGreaterThan(atStart!);
}, 60_000);
