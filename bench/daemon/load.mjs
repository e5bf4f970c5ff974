// One load run against a running daemon, in a process of its own (run.mjs
// starts it): REST through autocannon, gRPC through a grpc-js client loop.
// Prints one JSON object on stdout: decisions per second, latency
// percentiles, errors.
//
//   node bench/daemon/load.mjs --transport rest|grpc|grpc-h2 --port N --concurrency C
//        --seconds S --warmup W [--channels K] --contexts DIR
//
// grpc is grpc-js's client; grpc-h2 sends the same calls framed by hand on
// node:http2 (a lean client, as ghz or a Go stub would be).
//
// The requests carry the bench contexts in turn. Before the warm-up, one
// call per context is decoded and its decision kept (the runner prints them);
// during the runs the answers are not parsed, only their status checked: the
// load generator shares the machine's two cores with the daemon, so it does
// as little as it can. Latency is timed per call, from sending the request to
// receiving the whole answer (for REST, autocannon's own timing of each
// response, kept with its fraction of a millisecond).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

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

async function rest() {
  const { default: autocannon } = await import('autocannon');
  const bodies = contexts.map((context) => JSON.stringify({ context }));
  const requests = bodies.map((body) => ({ method: 'POST', path: '/v1/evaluate', headers: { 'content-type': 'application/json' }, body }));

  // One decoded answer per context, to make sure the load is what it claims to be.
  const decisions = [];
  for (const body of bodies) {
    const r = await fetch(`http://${HOST}:${port}/v1/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const j = await r.json();
    if (r.status !== 200 || typeof j.decision !== 'string') throw new Error(`REST check failed: ${r.status} ${JSON.stringify(j)}`);
    decisions.push(j.decision);
  }

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

/** JSON as google.protobuf.Value in proto-loader's object form. */
function toValue(v) {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  switch (typeof v) {
    case 'string':
      return { stringValue: v };
    case 'number':
      return { numberValue: v };
    case 'boolean':
      return { boolValue: v };
    default:
      return { structValue: toStruct(v) };
  }
}
function toStruct(o) {
  const fields = {};
  for (const k of Object.keys(o)) fields[k] = toValue(o[k]);
  return { fields };
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
  const run = (duration, samples) =>
    new Promise((resolve) => {
      let ok = 0;
      let errors = 0;
      let running = true;
      let inFlight = 0;
      let next = 0;
      const t0 = performance.now();
      const send = (slot) => {
        const client = clients[slot % nChannels];
        const buf = encoded[next++ % encoded.length];
        const start = process.hrtime.bigint();
        inFlight++;
        client.makeUnaryRequest(method.path, identity, identity, buf, (err) => {
          inFlight--;
          // Calls answered after the timer went off are not counted.
          if (err) errors++;
          else if (running) {
            ok++;
            if (samples) samples.add(Number(process.hrtime.bigint() - start) / 1e6);
          }
          if (running) send(slot);
          else if (inFlight === 0) resolve({ ok, errors, elapsed });
        });
      };
      let elapsed = 0;
      setTimeout(() => {
        running = false;
        elapsed = (performance.now() - t0) / 1000;
      }, duration * 1000);
      for (let i = 0; i < concurrency; i++) send(i);
    });

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
async function grpcH2Load() {
  const http2 = await import('node:http2');
  const grpc = await import('@grpc/grpc-js');
  const protoLoader = await import('@grpc/proto-loader');
  const def = protoLoader.loadSync(join(ROOT, 'proto/policy_engine.proto'), { keepCase: true, enums: String, longs: Number, defaults: false, oneofs: true });
  const method = grpc.loadPackageDefinition(def).llm.policy.v1.PolicyEngine.service.Evaluate;
  // Length-prefixed messages (1 byte "not compressed", 4 bytes big-endian length).
  const framed = contexts.map((c) => {
    const m = method.requestSerialize({ context: toStruct(c) });
    const f = Buffer.alloc(5 + m.length);
    f.writeUInt32BE(m.length, 1);
    m.copy(f, 5);
    return f;
  });
  const nChannels = Math.max(1, Number(a.channels));
  const sessions = await Promise.all(
    Array.from({ length: nChannels }, () => new Promise((res, rej) => {
      const s = http2.connect(`http://${HOST}:${port}`);
      s.once('connect', () => res(s));
      s.once('error', rej);
    })),
  );
  const headers = { ':method': 'POST', ':path': method.path, 'content-type': 'application/grpc', te: 'trailers' };

  /** One call: cb(error or undefined, response bytes). */
  const call = (session, buf, cb) => {
    let req;
    try {
      req = session.request(headers);
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
  };

  const decisions = [];
  for (const buf of framed) {
    const out = await new Promise((res, rej) => call(sessions[0], buf, (e, b) => (e ? rej(e) : res(method.responseDeserialize(b.subarray(5))))));
    if (typeof out?.decision?.decision !== 'string') throw new Error(`gRPC (h2) check failed: ${JSON.stringify(out)}`);
    decisions.push(out.decision.decision);
  }

  const run = (duration, samples) =>
    new Promise((resolve) => {
      let ok = 0;
      let errors = 0;
      let running = true;
      let inFlight = 0;
      let next = 0;
      let elapsed = 0;
      const t0 = performance.now();
      const send = (slot) => {
        const start = process.hrtime.bigint();
        inFlight++;
        call(sessions[slot % nChannels], framed[next++ % framed.length], (err) => {
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

  if (warmup > 0) await run(warmup);
  const samples = new Samples();
  const r = await run(seconds, samples);
  for (const s of sessions) s.close();
  const lat = samples.summary();
  return { decisions, ok: lat.count, errors: r.errors, seconds: r.elapsed, per_second: lat.count / r.elapsed, ...lat };
}

const result = a.transport === 'rest' ? await rest() : a.transport === 'grpc' ? await grpcLoad() : a.transport === 'grpc-h2' ? await grpcH2Load() : null;
if (!result) {
  console.error('--transport must be rest, grpc or grpc-h2');
  process.exit(2);
}
// This process's CPU since it started, as a share of one core.
const cpu = process.cpuUsage();
result.loadgen_cpu = (cpu.user + cpu.system) / 1e3 / performance.now();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
