// `policy-engine health` against real servers: plain, TLS (with our CA or
// --insecure) and mTLS (a client certificate is required), ready and not.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test, vi } from 'vitest';
import { healthCommand } from '../../src/cli/health.js';
import { UsageError } from '../../src/cli/output.js';
import { type TestCerts, makeCerts } from '../server/certs.js';
import { type Harness, startHarness } from '../server/harness.js';

let certs: TestCerts;
let plain: Harness;
let tls: Harness;
let mtls: Harness;
let files: { clientCert: string; clientKey: string };

beforeAll(async () => {
  certs = await makeCerts();
  files = { clientCert: join(certs.dir, 'client.crt'), clientKey: join(certs.dir, 'client.key') };
  writeFileSync(files.clientCert, certs.client.cert);
  writeFileSync(files.clientKey, certs.client.key);
  [plain, tls, mtls] = await Promise.all([
    startHarness(),
    startHarness({ config: { tls: { enabled: true, cert_file: certs.files.cert, key_file: certs.files.key, client_auth: false } } }),
    startHarness({ config: { tls: { enabled: true, cert_file: certs.files.cert, key_file: certs.files.key, client_auth: true, ca_file: certs.files.ca } } }),
  ]);
});
afterAll(async () => {
  await Promise.all([plain?.close(0), tls?.close(0), mtls?.close(0)]);
  certs?.remove();
});

async function health(o: Parameters<typeof healthCommand>[0]): Promise<{ code: number; out: string }> {
  const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const code = await healthCommand(o);
    return { code, out: spy.mock.calls.map((c) => c.join(' ')).join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('policy-engine health', () => {
  test('ready → 0; not ready (no engine) → 1 with the answer; nothing listening → 1', async ({ expect }) => {
    expect(await health({ url: plain.httpBase, timeout: '2000' })).toEqual({ code: 0, out: `ready: ${plain.httpBase}/health/ready answered 200` });
    const engine = plain.engine;
    plain.engine = undefined;
    try {
      const r = await health({ url: plain.httpBase, timeout: '2000' });
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^not ready: .* answered 503/);
    } finally {
      plain.engine = engine;
    }
    const closed = await health({ url: 'http://127.0.0.1:1', timeout: '2000' });
    expect(closed.code).toBe(1);
    expect(closed.out).toContain('did not answer (ECONNREFUSED)');
  });

  test('TLS: our CA verifies the daemon; without it the check fails; --insecure skips verification', async ({ expect }) => {
    expect((await health({ url: tls.httpBase, timeout: '2000', ca: certs.files.ca })).code).toBe(0);
    const unverified = await health({ url: tls.httpBase, timeout: '2000' });
    expect(unverified.code).toBe(1);
    expect(unverified.out).toMatch(/did not answer \((SELF_SIGNED|UNABLE_TO|DEPTH_ZERO)/);
    expect((await health({ url: tls.httpBase, timeout: '2000', insecure: true })).code).toBe(0);
  });

  test('mTLS: ready with a client certificate, not without', async ({ expect }) => {
    expect((await health({ url: mtls.httpBase, timeout: '2000', ca: certs.files.ca, cert: files.clientCert, key: files.clientKey })).code).toBe(0);
    expect((await health({ url: mtls.httpBase, timeout: '2000', ca: certs.files.ca })).code).toBe(1);
  });

  test('bad options are usage errors that say what to do', async ({ expect }) => {
    await expect(healthCommand({ url: 'not a url', timeout: '100' })).rejects.toThrow(UsageError);
    await expect(healthCommand({ url: 'ftp://x', timeout: '100' })).rejects.toThrow(/http:\/\/ or https:\/\//);
    await expect(healthCommand({ url: tls.httpBase, timeout: '100', cert: files.clientCert })).rejects.toThrow(/--cert and --key go together/);
    await expect(healthCommand({ url: tls.httpBase, timeout: '100', ca: '/nonexistent/ca.pem' })).rejects.toThrow(/--ca \/nonexistent\/ca.pem: ENOENT/);
  });
});
