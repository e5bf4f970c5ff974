// One load run against a running daemon, in a process of its own (run.mjs
// starts it): REST through autocannon, gRPC through a grpc-js client loop.
// Prints one JSON object on stdout: decisions per second, latency
// percentiles, errors.
//
//   node bench/daemon/load.mjs --transport rest|rest-h2load|grpc|grpc-h2|grpc-h2load
//        --port N --concurrency C --seconds S --warmup W [--channels K] --contexts DIR
//        [--metrics-port M]
//
// grpc is grpc-js's client; grpc-h2 sends the same calls framed by hand on
// node:http2 (a lean client); grpc-h2load and rest-h2load drive h2load, the
// C load generator of nghttp2 (Debian/Ubuntu package nghttp2-client), as ghz
// or wrk would: a client that costs the shared cores as little as possible.
//
// The requests carry the bench contexts in turn. Before the warm-up, one
// call per context is decoded and its decision kept (the runner prints them);
// during the runs the answers are not parsed, only their status checked: the
// load generator shares the machine's two cores with the daemon, so it does
// as little as it can. Latency is timed per call, from sending the request to
// receiving the whole answer (for REST, autocannon's own timing of each
// response, kept with its fraction of a millisecond).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
// JSON as google.protobuf.Struct in proto-loader's object form: the daemon's own conversion (run.mjs checks dist/ is built).
import { toStruct } from '../../dist/server/grpc/struct.js';
import { readMetrics, sumMetric } from './daemon-metrics.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const { values: a } = parseArgs({
  options: {
    transport: { type: 'string' },
    port: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    channels: { type: 'string', default: '1' },
    contexts: { type: 'string', default: join(ROOT, 'bench/contexts') },
    'metrics-port': { type: 'string' },
  },
});

const HOST = '127.0.0.1';
const port = Number(a.port);
const concurrency = Number(a.concurrency);
const seconds = Number(a.seconds);
const warmup = Number(a.warmup);
const contexts = readdirSync(a.contexts)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(a.contexts, f), 'utf8')));

/** Latencies in ms, appended as responses arrive. */
class Samples {
  constructor() {
    this.a = new Float64Array(1 << 16);
    this.n = 0;
  }
  add(ms) {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = ms;
  }
  summary() {
    const s = this.a.slice(0, this.n).sort();
    const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN);
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += s[i];
    return { count: s.length, p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: s.length ? s[s.length - 1] : NaN, mean_ms: s.length ? sum / s.length : NaN };
  }
}

// ---------------------------------------------------------------- REST

/** One decoded answer per context, to make sure the load is what it claims to be. */
async function restDecisions(bodies) {
  const decisions = [];
  for (const body of bodies) {
    const r = await fetch(`http://${HOST}:${port}/v1/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const j = await r.json();
    if (r.status !== 200 || typeof j.decision !== 'string') throw new Error(`REST check failed: ${r.status} ${JSON.stringify(j)}`);
    decisions.push(j.decision);
  }
  return decisions;
}

async function rest() {
  const { default: autocannon } = await import('autocannon');
  const bodies = contexts.map((context) => JSON.stringify({ context }));
  const requests = bodies.map((body) => ({ method: 'POST', path: '/v1/evaluate', headers: { 'content-type': 'application/json' }, body }));
  const decisions = await restDecisions(bodies);

  const run = (duration, samples) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const inst = autocannon(
        { url: `http://${HOST}:${port}`, connections: concurrency, pipelining: 1, duration, requests, timeout: 10 },
        (err, res) => (err ? reject(err) : resolve({ res, elapsed: (performance.now() - t0) / 1000 })),
      );
      // autocannon's own histogram keeps whole milliseconds: the 'response'
      // event carries the duration as a float (process.hrtime), kept here.
      if (samples) inst.on('response', (_client, status, _bytes, ms) => status === 200 && samples.add(ms));
    });

  if (warmup > 0) await run(warmup);
  const samples = new Samples();
  const { res, elapsed } = await run(seconds, samples);
  const lat = samples.summary();
  const errors = res.errors + res.timeouts + res.non2xx;
  return { decisions, ok: lat.count, errors, seconds: elapsed, per_second: lat.count / elapsed, ...lat };
}

// ---------------------------------------------------------------- gRPC

/**
 * `concurrency` calls in flight for `duration` seconds: each slot sends its
 * next call (issue(slot, done)) as soon as its last one is answered. Calls
 * answered after the timer went off are not counted.
 */
function closedLoop(duration, samples, issue) {
  return new Promise((resolve) => {
    let ok = 0;
    let errors = 0;
    let running = true;
    let inFlight = 0;
    let elapsed = 0;
    const t0 = performance.now();
    const send = (slot) => {
      const start = process.hrtime.bigint();
      inFlight++;
      issue(slot, (err) => {
        inFlight--;
        if (err) errors++;
        else if (running) {
          ok++;
          if (samples) samples.add(Number(process.hrtime.bigint() - start) / 1e6);
        }
        if (running) send(slot);
        else if (inFlight === 0) resolve({ ok, errors, elapsed });
      });
    };
    setTimeout(() => {
      running = false;
      elapsed = (performance.now() - t0) / 1000;
    }, duration * 1000);
    for (let i = 0; i < concurrency; i++) send(i);
  });
}


async function grpcLoad() {
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  // The options the server uses (src/server/grpc/proto.ts).
  const def = protoLoader.loadSync(join(ROOT, 'proto/policy_engine.proto'), { keepCase: true, enums: String, longs: Number, defaults: false, oneofs: true });
  const Service = grpc.loadPackageDefinition(def).llm.policy.v1.PolicyEngine;
  const method = Service.service.Evaluate;
  // The requests are encoded once; the loop sends bytes and keeps the answer's bytes.
  const encoded = contexts.map((c) => method.requestSerialize({ context: toStruct(c) }));
  const target = `${HOST}:${port}`;
  const nChannels = Math.max(1, Number(a.channels));
  // A local subchannel pool each: separate channels to one address are separate connections.
  // Channelz bookkeeping off: it only costs the client CPU that the daemon could use.
  const options = { 'grpc.use_local_subchannel_pool': 1, 'grpc.enable_channelz': 0 };
  const clients = Array.from({ length: nChannels }, () => new grpc.Client(target, grpc.credentials.createInsecure(), options));
  await Promise.all(clients.map((c) => new Promise((res, rej) => c.waitForReady(Date.now() + 10_000, (e) => (e ? rej(e) : res())))));

  const decisions = [];
  for (const buf of encoded) {
    const out = await new Promise((res, rej) => clients[0].makeUnaryRequest(method.path, (b) => b, method.responseDeserialize, buf, (e, r) => (e ? rej(e) : res(r))));
    if (typeof out?.decision?.decision !== 'string') throw new Error(`gRPC check failed: ${JSON.stringify(out)}`);
    decisions.push(out.decision.decision);
  }

  const identity = (b) => b;
  let next = 0;
  const run = (duration, samples) =>
    closedLoop(duration, samples, (slot, done) => clients[slot % nChannels].makeUnaryRequest(method.path, identity, identity, encoded[next++ % encoded.length], done));

  if (warmup > 0) await run(warmup);
  const samples = new Samples();
  const r = await run(seconds, samples);
  for (const c of clients) c.close();
  const lat = samples.summary();
  return { decisions, ok: lat.count, errors: r.errors, seconds: r.elapsed, per_second: lat.count / r.elapsed, ...lat };
}

// ---------------------------------------------------------------- gRPC over bare HTTP/2

/**
 * The same Evaluate calls as grpcLoad(), framed by hand on node:http2: what a
 * lean client (ghz, a Go or C++ stub) costs, so that the daemon's side shows
 * when grpc-js's client is what limits the rate on two shared cores.
 */
/** The Evaluate method and the contexts as length-prefixed gRPC messages (1 byte "not compressed", 4 bytes big-endian length). */
async function grpcFramedRequests() {
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const def = protoLoader.loadSync(join(ROOT, 'proto/policy_engine.proto'), { keepCase: true, enums: String, longs: Number, defaults: false, oneofs: true });
  const method = grpc.loadPackageDefinition(def).llm.policy.v1.PolicyEngine.service.Evaluate;
  const framed = contexts.map((c) => {
    const m = method.requestSerialize({ context: toStruct(c) });
    const f = Buffer.alloc(5 + m.length);
    f.writeUInt32BE(m.length, 1);
    m.copy(f, 5);
    return f;
  });
  return { method, framed };
}

async function h2Sessions(n) {
  const http2 = await import('node:http2');
  return Promise.all(
    Array.from({ length: n }, () => new Promise((res, rej) => {
      const s = http2.connect(`http://${HOST}:${port}`);
      s.once('connect', () => res(s));
      s.once('error', rej);
    })),
  );
}

/** One unary call on bare HTTP/2: cb(error or undefined, response bytes). */
function h2Call(session, path, buf, cb) {
  let req;
  try {
    req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  } catch (e) {
    // The session is closing (GOAWAY): count an error rather than stop.
    return void setImmediate(cb, e, Buffer.alloc(0));
  }
  const chunks = [];
  let status;
  let done = false;
  const finish = (err) => {
    if (done) return;
    done = true;
    cb(err ?? (status === '0' ? undefined : new Error(`grpc-status ${status}`)), Buffer.concat(chunks));
  };
  req.on('trailers', (t) => (status = t['grpc-status']));
  req.on('response', (h) => {
    if (h['grpc-status'] !== undefined) status = h['grpc-status']; // trailers-only answer
  });
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => finish());
  req.on('error', finish);
  req.end(buf);
}

/** One decoded answer per context, over bare HTTP/2. */
async function h2Decisions(method, framed, session) {
  const own = !session;
  if (own) [session] = await h2Sessions(1);
  const decisions = [];
  for (const buf of framed) {
    const out = await new Promise((res, rej) => h2Call(session, method.path, buf, (e, b) => (e ? rej(e) : res(method.responseDeserialize(b.subarray(5))))));
    if (typeof out?.decision?.decision !== 'string') throw new Error(`gRPC (h2) check failed: ${JSON.stringify(out)}`);
    decisions.push(out.decision.decision);
  }
  if (own) session.close();
  return decisions;
}

async function grpcH2Load() {
  const { method, framed } = await grpcFramedRequests();
  const nChannels = Math.max(1, Number(a.channels));
  const sessions = await h2Sessions(nChannels);
  const call = (session, buf, cb) => h2Call(session, method.path, buf, cb);
  const decisions = await h2Decisions(method, framed, sessions[0]);

  let next = 0;
  const run = (duration, samples) => closedLoop(duration, samples, (slot, done) => call(sessions[slot % nChannels], framed[next++ % framed.length], done));

  if (warmup > 0) await run(warmup);
  const samples = new Samples();
  const r = await run(seconds, samples);
  for (const s of sessions) s.close();
  const lat = samples.summary();
  return { decisions, ok: lat.count, errors: r.errors, seconds: r.elapsed, per_second: lat.count / r.elapsed, ...lat };
}

// ---------------------------------------------------------------- h2load

/** CPU time (ms) of the child processes this one has waited for (h2load): cutime + cstime. */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10; // USER_HZ is 100 on Linux
}

/** The daemon's own counts for one transport: decisions answered, and requests that failed. */
async function daemonCounts(transport) {
  const text = await readMetrics(Number(a['metrics-port']));
  const label = `transport="${transport}"`;
  return { decisions: sumMetric(text, 'policy_engine_requests_total', label), errors: sumMetric(text, 'policy_engine_request_errors_total', label) };
}

/** One h2load run; its counts from its summary, its latencies (µs, answered with 200) from its log file. */
function h2load(args, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn('h2load', [...args, ...(logFile ? [`--log-file=${logFile}`] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('error', reject);
    child.on('exit', (code) => {
      const finished = /finished in ([\d.]+)(s|ms),/.exec(out);
      const req = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
      const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
      if (code !== 0 || !finished || !req || !codes) return reject(new Error(`h2load ${args.join(' ')} failed (${code}):\n${out}`));
      const latenciesUs = [];
      if (logFile) {
        for (const row of readFileSync(logFile, 'utf8').split('\n')) {
          const [, status, us] = row.split('\t');
          if (status === '200') latenciesUs.push(Number(us));
        }
      }
      const [, , started, , succeeded, failed, errored, timeout] = req.map(Number);
      const non2xx = Number(codes[2]) + Number(codes[3]) + Number(codes[4]);
      resolve({ seconds: Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1), started, succeeded, failures: failed + errored + timeout + non2xx, latenciesUs });
    });
  });
}

/**
 * REST or gRPC through h2load. h2load sends one body per run, so the measured
 * time is split in three, one run per context; it checks HTTP statuses only,
 * so the gRPC status of every call is checked against the daemon's own
 * counters (every answered call must be a counted decision).
 */
async function h2loadLoad(kind) {
  const version = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) throw new Error('h2load is not installed: it comes with nghttp2 (Debian/Ubuntu: apt-get install nghttp2-client; macOS: brew install nghttp2)');
  if (!a['metrics-port']) throw new Error('--metrics-port is needed: the daemon counts what h2load does not check');
  const dir = mkdtempSync(join(tmpdir(), 'policy-engine-h2load-'));
  try {
    let bodies;
    let decisions;
    let target;
    if (kind === 'grpc') {
      const { method, framed } = await grpcFramedRequests();
      decisions = await h2Decisions(method, framed);
      bodies = framed;
      const nChannels = Math.max(1, Number(a.channels));
      target = ['-c', String(nChannels), '-m', String(Math.ceil(concurrency / nChannels)), '-H', 'content-type: application/grpc', '-H', 'te: trailers', `http://${HOST}:${port}${method.path}`];
    } else {
      bodies = contexts.map((context) => Buffer.from(JSON.stringify({ context })));
      decisions = await restDecisions(bodies);
      // HTTP/1.1, c keep-alive connections, one request at a time on each (as autocannon without pipelining).
      target = ['--h1', '-c', String(concurrency), '-m', '1', '-H', 'content-type: application/json', `http://${HOST}:${port}/v1/evaluate`];
    }
    const files = bodies.map((b, i) => {
      const f = join(dir, `body-${i}`);
      writeFileSync(f, b);
      return f;
    });
    if (warmup > 0) await h2load(['-D', `${Math.round(warmup * 1000)}ms`, '-d', files[0], ...target]);
    const before = await daemonCounts(kind);
    const runs = [];
    for (let i = 0; i < files.length; i++) runs.push(await h2load(['-D', `${Math.round((seconds * 1000) / files.length)}ms`, '-d', files[i], ...target], join(dir, `log-${i}.tsv`)));
    const after = await daemonCounts(kind);
    const samples = new Samples();
    for (const r of runs) for (const us of r.latenciesUs) samples.add(us / 1000);
    const lat = samples.summary();
    const elapsed = runs.reduce((n, r) => n + r.seconds, 0);
    const counted = after.decisions - before.decisions;
    // Calls answered without a decision (a gRPC error status in a 200 answer) show in the daemon's error count.
    const errors = runs.reduce((n, r) => n + r.failures, 0) + (after.errors - before.errors) + Math.max(0, lat.count - counted);
    return { decisions, ok: lat.count, errors, daemon_counted: counted, seconds: elapsed, per_second: lat.count / elapsed, ...lat };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOADS = { rest, 'rest-h2load': () => h2loadLoad('http'), grpc: grpcLoad, 'grpc-h2': grpcH2Load, 'grpc-h2load': () => h2loadLoad('grpc') };
if (!LOADS[a.transport]) {
  console.error(`--transport must be one of ${Object.keys(LOADS).join(', ')}`);
  process.exit(2);
}
const result = await LOADS[a.transport]();
// This process's CPU since it started, and its children's (h2load), as a share of one core.
const cpu = process.cpuUsage();
result.loadgen_cpu = ((cpu.user + cpu.system) / 1e3 + childrenCpuMs()) / performance.now();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
