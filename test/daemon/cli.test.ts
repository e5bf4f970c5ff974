// The daemon's command line, run as a user would: validate-config on a bad
// file (exit 1, every problem by key path), `daemon --config` with a bad
// file or a bad variable (exit 1, nothing started), and the bundled
// examples/config/daemon.yaml, started with `--listen` and the
// POLICY_ENGINE_* variables over its fixed addresses (50051, 8080, 9090), so
// that parallel runs do not collide. (`health --url` is in readiness.test.ts.)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseDiagnostics } from '../cli/helpers.js';
import { grpcPolicyClient, unaryCall } from '../server/clients.js';
import { type DaemonProcess, ROOT, connectionRefused, freePorts, run, modelsPolicy, startDaemon } from './daemon-process.js';

const POLICY = modelsPolicy();

const BAD_CONFIG = `server:
  listen_address: "0.0.0.0"
  http:
    listen_adress: "0.0.0.0:8080"
  tls:
    client_auth: true
logging:
  level: verbose
cache:
  decision_cache:
    capacity: 0
`;

let tmp: string;
/** examples/config/daemon.yaml, its fixed ports moved by --listen and the variables. */
let examples: DaemonProcess;
let starting: Promise<DaemonProcess>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'policy-engine-daemon-cli-'));
  // The daemon starts while the tests of bad configurations run; its tests wait for it.
  starting = startDaemon({
    args: (ports) => ['daemon', '--config', join(ROOT, 'examples', 'config', 'daemon.yaml'), '--listen', `127.0.0.1:${ports.grpc}`],
    env: (ports) => ({ POLICY_ENGINE_HTTP_PORT: String(ports.http), POLICY_ENGINE_METRICS_PORT: String(ports.metrics) }),
  });
  starting.catch(() => undefined); // reported by the tests that wait for it
});
afterAll(async () => {
  await (await starting?.catch(() => undefined))?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const example = (name: string): object => JSON.parse(readFileSync(join(ROOT, 'examples', 'contexts', `${name}.json`), 'utf8'));

describe.concurrent('a bad configuration', () => {
  test('validate-config: exit 1, every problem with its key path, line and column', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, BAD_CONFIG);
    const r = await run(['validate-config', '--no-env', file]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(parseDiagnostics(r.stderr).map((p) => `${p.line}:${p.column} ${p.code}: ${p.message}`)).toEqual([
      "2:19 invalid-value: server.listen_address '0.0.0.0' has no port",
      "4:5 unknown-key: unknown key 'listen_adress' in server.http",
      '6:18 conflicting-settings: server.tls.client_auth is true but server.tls.enabled is false: client certificates (mTLS) need TLS',
      "8:10 invalid-value: logging.level must be one of trace, debug, info, warn, error; got string 'verbose'",
      '11:15 invalid-value: cache.decision_cache.capacity must be at least 1, got number 0',
    ]);
    expect(r.stderr).toMatch(/hint: did you mean 'listen_address'\?/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`5 errors in ${file}`);
  });

  test('daemon --config with that file (and a bad variable): exit 1 with every problem, nothing started', async () => {
    const [port] = await freePorts(1);
    const file = join(tmp, 'bad-daemon.yaml');
    // A valid REST address among the errors: it must not be bound.
    writeFileSync(file, BAD_CONFIG.replace('listen_adress: "0.0.0.0:8080"', `listen_address: "127.0.0.1:${port}"\n    cors_enabled: maybe`));
    const d = await startDaemon({ args: () => ['daemon', '--config', file], env: { POLICY_ENGINE_METRICS_PORT: 'abc' }, wait: 'none' });
    try {
      expect(await d.exited, d.output).toEqual({ code: 1, signal: null });
      expect(d.stdout).toBe('');
      const problems = parseDiagnostics(d.stderr).map((p) => p.message);
      expect(problems).toHaveLength(5);
      expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^server\.http\.cors_enabled must be true or false/), expect.stringMatching(/^logging\.level /)]));
      // The variable's problem is reported under its name.
      expect(d.stderr).toMatch(/^POLICY_ENGINE_METRICS_PORT: error\[invalid-value\]: POLICY_ENGINE_METRICS_PORT must be a port number from 1 to 65535, got 'abc'/m);
      expect(d.stderr).toContain('the daemon did not start: fix the configuration');
      expect(d.stderr).not.toContain('daemon started');
      expect(await connectionRefused(port!)).toBe(true);
    } finally {
      await d.dispose();
    }
  });

  test('a bad --listen: exit 2 (usage) before anything starts', async () => {
    const empty = join(tmp, 'empty.yaml');
    writeFileSync(empty, '# every key at its default\n');
    const l = await run(['daemon', '--config', empty, '--listen', 'localhost']);
    expect(l.code, l.stdout + l.stderr).toBe(2);
    expect(l.stderr).toBe("error: --listen must be host:port, e.g. 0.0.0.0:50051; got 'localhost'\n");
  });
});

describe('examples/config/daemon.yaml with --listen, POLICY_ENGINE_HTTP_PORT and POLICY_ENGINE_METRICS_PORT', () => {
  beforeAll(async () => {
    examples = await starting;
  });

  test('the addresses from the command line and the environment win over the file', async () => {
    const d = examples;
    // The file says 50051, 8080 and 9090.
    expect([d.ports.grpc, d.ports.http, d.ports.metrics]).not.toContain(50051);
    expect(d.stderr).toMatch(new RegExp(`^\\S+Z INFO  policy-engine daemon started grpc_port=${d.ports.grpc} http_port=${d.ports.http} metrics_port=${d.ports.metrics} workers=1$`, 'm'));
    const c = grpcPolicyClient(d.grpcAddress);
    expect((await unaryCall(c, 'ListPolicies', {})).policies).toHaveLength(13);
    c.close();
    expect((await d.get('/health/ready')).status).toBe(200);
    expect((await d.metrics()).length).toBeGreaterThan(0);
    // The start-up notes say where each override came from.
    expect(d.stderr).toMatch(/ INFO  server\.http\.listen_address set by POLICY_ENGINE_HTTP_PORT /);
    expect(d.stderr).toMatch(/ INFO  metrics\.prometheus\.port set by POLICY_ENGINE_METRICS_PORT /);
  });

  test('the example policies decide; plain logs on stderr; denied requests audited on stdout; SIGTERM exits 0', async () => {
    const d = examples;
    const denied = await d.post('/v1/evaluate', { context: example('free-tier-denied') });
    expect(JSON.parse(denied.text)).toMatchObject({ decision: 'deny', matched: [expect.objectContaining({ rule: 'free-tier-models' })] });
    const allowed = await d.post('/v1/evaluate', { context: example('allowed') });
    expect(JSON.parse(allowed.text).decision).toBe('allow');
    // CORS for the local dev server of the example.
    const cors = await d.get('/health', { headers: { origin: 'http://localhost:3000' } });
    expect(cors.headers['access-control-allow-origin']).toBe('http://localhost:3000');

    expect(await d.stop()).toEqual({ code: 0, signal: null });
    // logging: plain, on stderr: every line readable, none JSON.
    const lines = d.stderr.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/);
    expect(lines.at(-1)).toMatch(/ INFO  stopped$/);
    // audit: log_denied_only, on stdout: the denied decision only.
    const records = d.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    expect(records).toEqual([expect.objectContaining({ type: 'decision', decision: 'deny', decision_id: JSON.parse(denied.text).decision_id })]);
  });
});
