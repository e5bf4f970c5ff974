// Checking the configuration before the daemon starts, and the small rules
// the daemon derives from it.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test, vi } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { DaemonConfig } from '../../src/config/types.js';
import { metricsHost, shutdownGraceMs, workerCount } from '../../src/daemon/outputs.js';
import { prepareDaemon } from '../../src/daemon/startup.js';

const dir = mkdtempSync(join(tmpdir(), 'pe-startup-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function captureStderr(): () => string {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  return () => spy.mock.calls.map((c) => c.join(' ')).join('\n');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('prepareDaemon', () => {
  test('a good file: the checked configuration, relative paths from the file, --listen over server.listen_address', async ({ expect }) => {
    const p = file('good.yaml', 'registry:\n  local_policy_dir: "./policies"\nserver:\n  listen_address: "0.0.0.0:50051"\n');
    const r = await prepareDaemon({ config: p, listen: '127.0.0.1:6000' });
    if ('exitCode' in r) throw new Error('expected a configuration');
    expect(r.config.server.listen_address).toBe('127.0.0.1:6000');
    expect(r.config.registry.local_policy_dir).toBe(join(dir, 'policies'));
  });

  test('every problem is printed with its key path, and the daemon does not start (exit 1)', async ({ expect }) => {
    const stderr = captureStderr();
    const p = file('bad.yaml', 'server:\n  listen_adress: "0.0.0.0:1"\n  limits:\n    max_request_size_mb: -1\n');
    const r = await prepareDaemon({ config: p });
    expect(r).toEqual({ exitCode: 1 });
    const text = stderr();
    expect(text).toMatch(/bad\.yaml:2:3/);
    expect(text).toContain("unknown key 'listen_adress' in server");
    expect(text).toContain('listen_address'); // the suggestion
    expect(text).toContain('server.limits.max_request_size_mb');
    expect(text).toContain('the daemon did not start');
  });

  test('a missing file and a bad --listen are usage errors (exit 2)', async ({ expect }) => {
    const stderr = captureStderr();
    expect(await prepareDaemon({ config: join(dir, 'nope.yaml') })).toEqual({ exitCode: 2 });
    expect(stderr()).toContain('no such file');
    expect(await prepareDaemon({ config: file('empty.yaml', ''), listen: 'localhost' })).toEqual({ exitCode: 2 });
    expect(stderr()).toMatch(/--listen must be host:port/);
    expect(await prepareDaemon({ config: file('ports.yaml', 'server:\n  http:\n    listen_address: "127.0.0.1:8080"\n'), listen: '0.0.0.0:8080' })).toEqual({ exitCode: 2 });
    expect(stderr()).toMatch(/--listen 0.0.0.0:8080: port 8080 is also server.http.listen_address/);
  });

  test('POLICY_ENGINE_* variables override the file and are listed in the start-up notes; a bad one stops the start', async ({ expect }) => {
    vi.stubEnv('POLICY_ENGINE_HTTP_PORT', '9181');
    const p = file('env.yaml', 'server:\n  http:\n    listen_address: "127.0.0.1:8080"\n');
    const r = await prepareDaemon({ config: p });
    if ('exitCode' in r) throw new Error('expected a configuration');
    expect(r.config.server.http.listen_address).toBe('127.0.0.1:9181');
    expect(r.notes).toContainEqual(expect.objectContaining({ level: 'info', message: expect.stringContaining('POLICY_ENGINE_HTTP_PORT') }));
    vi.stubEnv('POLICY_ENGINE_HTTP_PORT', 'eighty');
    const stderr = captureStderr();
    expect(await prepareDaemon({ config: p })).toEqual({ exitCode: 1 });
    expect(stderr()).toContain('POLICY_ENGINE_HTTP_PORT');
  });

  test('no --config: the defaults', async ({ expect }) => {
    const r = await prepareDaemon({});
    if ('exitCode' in r) throw new Error('expected a configuration');
    expect(r.config.server.listen_address).toBe(DEFAULT_CONFIG.server.listen_address);
  });
});

describe('derived settings', () => {
  const withServer = (s: Partial<DaemonConfig['server']>, runtime?: Partial<DaemonConfig['runtime']>): DaemonConfig => ({
    ...DEFAULT_CONFIG,
    server: { ...DEFAULT_CONFIG.server, ...s },
    runtime: { ...DEFAULT_CONFIG.runtime, ...runtime },
  });

  test('worker_threads 0 is one per core; otherwise as written', ({ expect }) => {
    expect(workerCount(withServer({}, { worker_threads: 0 }), 6)).toBe(6);
    expect(workerCount(withServer({}, { worker_threads: 0 }), 0)).toBe(1);
    expect(workerCount(withServer({}, { worker_threads: 3 }), 6)).toBe(3);
  });

  test('the metrics port listens on the REST interface (the gRPC one when REST is off)', ({ expect }) => {
    expect(metricsHost(withServer({ http: { ...DEFAULT_CONFIG.server.http, listen_address: '127.0.0.1:8080' } }))).toBe('127.0.0.1');
    expect(metricsHost(withServer({ http: { ...DEFAULT_CONFIG.server.http, listen_address: '[::1]:8080' } }))).toBe('::1');
    expect(metricsHost(withServer({ listen_address: '10.0.0.5:50051', http: { ...DEFAULT_CONFIG.server.http, enabled: false } }))).toBe('10.0.0.5');
  });

  test('the shutdown grace is the request timeout plus a second', ({ expect }) => {
    expect(shutdownGraceMs(withServer({ limits: { ...DEFAULT_CONFIG.server.limits, request_timeout_seconds: 5 } }))).toBe(6000);
  });
});
