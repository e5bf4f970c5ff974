// The real daemon as a child process, for the integration tests of
// test/daemon: `node bin/policy-engine.js daemon --config <tmp config>` (the
// built dist/, as `npm run build` leaves it), with its own temporary
// directory (configuration, policy directory, audit file) and free loopback
// ports, so that daemons of several tests (and test files) never collide.
//
// The configuration validator refuses port 0, so ports are chosen before the
// start (bind 127.0.0.1:0, read the port, close); if another process takes
// one of them meanwhile, the daemon exits with EADDRINUSE and startDaemon()
// starts it again on fresh ports. startDaemon() waits for GET /health/ready to
// answer 200 (or /health/live, for daemons that are not meant to become
// ready); stdout and stderr are collected; every daemon started here is
// killed when the test process exits, whatever happened to the test that
// started it.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Pem } from '../server/certs.js';
import { BIN, assertBuilt } from '../cli/helpers.js';

export { BIN, ROOT, run } from '../cli/helpers.js';

export interface Ports {
  readonly grpc: number;
  readonly http: number;
  readonly metrics: number;
}

/** A configuration tree: what the YAML file holds (JSON is YAML 1.2, so it is written as JSON). */
export type ConfigTree = { [key: string]: unknown };

/** How a client reaches a TLS daemon: the CA it trusts, and a client certificate for mTLS. */
export interface TlsClient {
  readonly ca: string;
  readonly client?: Pem;
}

export interface DaemonOptions {
  /** Policy files (name → text) written to the policy directory before the start. */
  readonly policies?: Readonly<Record<string, string>>;
  /** Merged over the base configuration (see baseConfig); a function gets the chosen ports. */
  readonly config?: ConfigTree | ((ports: Ports, dir: string) => ConfigTree);
  /** The command line after `bin/policy-engine.js`; default `daemon --config <config file>`. */
  readonly args?: (ports: Ports, paths: { dir: string; config: string }) => string[];
  /** Environment variables added (POLICY_ENGINE_* of the test's own environment are removed). */
  readonly env?: Readonly<Record<string, string>> | ((ports: Ports) => Readonly<Record<string, string>>);
  /** What start() waits for: ready (default: /health/ready 200), live (/health/live 200: ports open), none. */
  readonly wait?: 'ready' | 'live' | 'none';
  /** With runtime.worker_threads > 1: wait until this many worker processes have loaded their policies. */
  readonly readyWorkers?: number;
  /** For a daemon with TLS: how the readiness probe connects. */
  readonly tls?: TlsClient;
  /** How long start() waits (default 20 s: the machine may be busy with other test files). */
  readonly startTimeoutMs?: number;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * The base configuration: loopback ports, the policy directory `policies/`,
 * logs as JSON on stderr, the audit trail in `audit.log` (both in the
 * daemon's directory; relative paths are relative to the configuration file).
 */
export function baseConfig(ports: Ports): ConfigTree {
  return {
    server: {
      listen_address: `127.0.0.1:${ports.grpc}`,
      http: { listen_address: `127.0.0.1:${ports.http}` },
      limits: { request_timeout_seconds: 5 },
    },
    registry: { local_policy_dir: 'policies' },
    metrics: { prometheus: { port: ports.metrics } },
    logging: { level: 'info', format: 'json', output: 'stderr' },
    audit: { output: 'file', file: { path: 'audit.log' } },
  };
}

/**
 * The policy most daemon tests evaluate against: `models`, whose rule
 * `no-gpt-4` denies gpt-4 (with `reason` when given), then `moreRules` (YAML
 * list items, indented as rules).
 */
export function modelsPolicy(o: { reason?: string; moreRules?: string } = {}): string {
  return `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: models }
spec:
  rules:
    - id: no-gpt-4
      when: "request.model == 'gpt-4'"
      decision: deny
${o.reason === undefined ? '' : `      reason: ${JSON.stringify(o.reason)}\n`}${o.moreRules ?? ''}`;
}

/** Objects merge key by key; anything else (arrays included) replaces. */
export function deepMerge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTree(v) && isTree(b) ? deepMerge(b, v) : v;
  }
  return out;
}

function isTree(v: unknown): v is ConfigTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Ports free right now on 127.0.0.1 (all bound at once, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// --- HTTP(S) requests with full control over connections and certificates ------

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | number>>;
  readonly body?: string | Buffer;
  readonly tls?: TlsClient;
  /** Default false: a connection of its own. */
  readonly agent?: HttpAgent | false;
  readonly timeoutMs?: number;
}

/** One request with node:http(s); rejects on connection errors (refused, reset, TLS refused). */
export function request(url: string, o: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const https = url.startsWith('https:');
    const options = {
      method: o.method ?? 'GET',
      headers: { ...o.headers },
      agent: o.agent ?? false,
      timeout: o.timeoutMs ?? 10_000,
      ...(https && o.tls ? { servername: 'localhost', ca: o.tls.ca, ...(o.tls.client ? { cert: o.tls.client.cert, key: o.tls.client.key } : {}) } : {}),
    };
    const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${options.timeout} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** POST a JSON body (a string is sent as is). */
/**
 * A POST of `body` to `url` on a connection of its own (no keep-alive agent);
 * `sent` resolves once the whole request is written to the socket. The result
 * may reject (a reset at shutdown): it is marked handled, for Promise.allSettled later.
 */
export function burstPost(url: string, body: unknown): { sent: Promise<void>; result: Promise<HttpResult> } {
  let sent!: () => void;
  const sentP = new Promise<void>((resolve) => (sent = resolve));
  const result = new Promise<HttpResult>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('finish', sent);
    req.on('error', (e) => {
      sent();
      reject(e);
    });
    req.end(JSON.stringify(body));
  });
  result.catch(() => undefined);
  return { sent: sentP, result };
}

export function postJson(url: string, body: unknown, o: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<HttpResult> {
  return request(url, { ...o, method: 'POST', headers: { 'content-type': 'application/json', ...o.headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** Whether a TCP connection to 127.0.0.1:port is refused (nothing listening). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(false);
    });
    c.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

// --- Prometheus text ----------------------------------------------------------------

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of the samples named `name` whose labels include `labels`; undefined when there is none. */
export function metric(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

// --- The daemon -------------------------------------------------------------------------

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class DaemonProcess {
  readonly dir: string;
  readonly policyDir: string;
  readonly configPath: string;
  readonly auditPath: string;
  readonly httpBase: string;
  readonly grpcAddress: string;
  readonly metricsUrl: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  stdout = '';
  stderr = '';

  constructor(
    readonly ports: Ports,
    readonly options: DaemonOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'policy-engine-daemon-'));
    this.policyDir = join(this.dir, 'policies');
    this.configPath = join(this.dir, 'config.yaml');
    this.auditPath = join(this.dir, 'audit.log');
    mkdirSync(this.policyDir);
    for (const [name, text] of Object.entries(options.policies ?? {})) {
      mkdirSync(dirname(join(this.policyDir, name)), { recursive: true });
      writeFileSync(join(this.policyDir, name), text);
    }
    const extra = typeof options.config === 'function' ? options.config(ports, this.dir) : (options.config ?? {});
    writeFileSync(this.configPath, JSON.stringify(deepMerge(baseConfig(ports), extra), null, 2) + '\n');
    const scheme = options.tls ? 'https' : 'http';
    this.httpBase = `${scheme}://127.0.0.1:${ports.http}`;
    this.grpcAddress = `127.0.0.1:${ports.grpc}`;
    this.metricsUrl = `http://127.0.0.1:${ports.metrics}/metrics`;

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('POLICY_ENGINE_')) env[k] = v;
    Object.assign(env, typeof options.env === 'function' ? options.env(ports) : options.env, { NO_COLOR: '1' });
    const args = options.args ? options.args(ports, { dir: this.dir, config: this.configPath }) : ['daemon', '--config', this.configPath];
    this.proc = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    this.proc.stdout!.setEncoding('utf8').on('data', (c: string) => (this.stdout += c));
    this.proc.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise<Exit>((resolve) => {
      // 'close': the process has exited and its stdout and stderr are read to the end.
      this.proc.once('close', (code, signal) => {
        live.delete(this.proc);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Both output streams, for failure messages. */
  get output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** The JSON lines of a stream, or of a file in the daemon's directory (lines that are not JSON are skipped). */
  jsonLines(stream: 'stdout' | 'stderr' | { readonly file: string } = 'stderr'): Record<string, any>[] {
    const out: Record<string, any>[] = [];
    const text = typeof stream === 'string' ? this[stream] : existsSync(join(this.dir, stream.file)) ? readFileSync(join(this.dir, stream.file), 'utf8') : '';
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, any>);
      } catch {
        // a line still being written
      }
    }
    return out;
  }

  /** Log lines (JSON, on `stream` or in a file) whose msg matches. */
  logs(msg: string | RegExp, stream: 'stdout' | 'stderr' | { readonly file: string } = 'stderr'): Record<string, any>[] {
    return this.jsonLines(stream).filter((l) => typeof l.msg === 'string' && (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg)));
  }

  /** Waits for a log line (JSON, on `stream`) whose msg matches; fails early if the process exits. */
  waitForLog(msg: string | RegExp, o: { stream?: 'stdout' | 'stderr' | { readonly file: string }; count?: number; timeoutMs?: number } = {}): Promise<Record<string, any>[]> {
    return until(
      () => {
        const found = this.logs(msg, o.stream);
        if (found.length >= (o.count ?? 1)) return found;
        if (this.exit) throw new Error(`the daemon exited (${JSON.stringify(this.exit)}) before logging ${msg}\n${this.output}`);
        return undefined;
      },
      `the log line ${msg}`,
      o.timeoutMs ?? 10_000,
    );
  }

  /** GET a path on the REST port (over TLS with the options' certificates). */
  get(path: string, o: Omit<RequestOptions, 'method'> = {}): Promise<HttpResult> {
    return request(this.httpBase + path, { tls: this.options.tls, ...o });
  }

  /** POST JSON to the REST port. */
  post(path: string, body: unknown, o: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<HttpResult> {
    return postJson(this.httpBase + path, body, { tls: this.options.tls, ...o });
  }

  async metrics(): Promise<Sample[]> {
    const r = await request(this.metricsUrl);
    if (r.status !== 200) throw new Error(`GET ${this.metricsUrl}: ${r.status} ${r.text}`);
    return parseMetrics(r.text);
  }

  /** Writes a policy file atomically (written beside the directory, then renamed into it), as a deployment would. */
  writePolicy(name: string, text: string): void {
    const staging = join(this.dir, `.staging-${process.hrtime.bigint()}`);
    writeFileSync(staging, text);
    renameSync(staging, join(this.policyDir, name));
  }

  /** The audit records in the audit file (every line must be JSON). */
  auditRecords(path = this.auditPath): Record<string, any>[] {
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.exit) this.proc.kill(sig);
  }

  /** SIGTERM, then SIGKILL if the process is still there after timeoutMs. Resolves with how it exited. */
  async stop(timeoutMs = 15_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process (if it is still running) and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop(5000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Waits for what the options ask (readiness by default). */
  async waitStarted(): Promise<void> {
    const wait = this.options.wait ?? 'ready';
    if (wait === 'none') return;
    const path = wait === 'ready' ? '/health/ready' : '/health/live';
    await until(
      async () => {
        if (this.exit) throw new Error(`the daemon exited (${JSON.stringify(this.exit)}) before ${path} answered 200\n${this.output}`);
        try {
          return (await this.get(path, { timeoutMs: 2000 })).status === 200;
        } catch {
          return false; // not listening yet
        }
      },
      `GET ${path} 200 from the daemon\n${this.output}`,
      this.options.startTimeoutMs ?? 20_000,
    );
    if (this.options.readyWorkers) await this.waitForLog(/^policies loaded from .*: ready$/, { count: this.options.readyWorkers, timeoutMs: this.options.startTimeoutMs ?? 20_000 });
    // Workers load before they listen: the primary's started line follows once every worker listens.
    if (this.options.readyWorkers) await this.waitForLog('policy-engine daemon started', { timeoutMs: this.options.startTimeoutMs ?? 20_000 });
  }
}

/** Starts a daemon on fresh ports and waits for it (see DaemonOptions.wait); retries when a port was taken meanwhile. */
export async function startDaemon(options: DaemonOptions = {}): Promise<DaemonProcess> {
  assertBuilt();
  for (let attempt = 1; ; attempt++) {
    const [grpc, http, metrics] = await freePorts(3);
    const d = new DaemonProcess({ grpc: grpc!, http: http!, metrics: metrics! }, options);
    try {
      await d.waitStarted();
      return d;
    } catch (e) {
      await d.dispose();
      if (attempt < 3 && /EADDRINUSE/.test(d.stdout + d.stderr)) continue;
      throw e;
    }
  }
}
