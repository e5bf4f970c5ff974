// The daemon benchmark: starts the real daemon (bin/policy-engine.js daemon)
// on free 127.0.0.1 ports with the bench policy set (bench/policies, 22
// rules), and measures REST and gRPC decisions per second and latency at
// concurrency 1 and 50, with the decision cache on (the default) and off, in
// one process and as a cluster of 2 workers, and the daemon's memory (RSS).
// The load comes from another process (load.mjs), one per run: autocannon
// and grpc-js's client (Node, in-process), and h2load (nghttp2's C load
// generator, when it is installed) for both APIs.
//
//   npm run bench:daemon                      (builds first)
//   node bench/daemon/run.mjs [--seconds 5] [--warmup 2] [--json]
//        [--only rest,rest-h2load,grpc,grpc-h2load,grpc-h2] [--setups 1,2,3,4] [--concurrency 1,50]
//        [--channels 1] [--idle-seconds 15] [--audit file|off]
//        [--node-flags "..."] [--cpu-prof DIR] [--keep]
//
// It measures and prints; it asserts nothing. The load generator and the
// daemon share this machine's cores, which the output says.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { readMetrics, sumMetric } from './daemon-metrics.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/policy-engine.js');
const LOAD = fileURLToPath(new URL('./load.mjs', import.meta.url));
const HOST = '127.0.0.1';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    setups: { type: 'string' },
    concurrency: { type: 'string' },
    channels: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    audit: { type: 'string', default: 'file' },
    'idle-seconds': { type: 'string', default: '15' },
    'node-flags': { type: 'string', default: '' },
    policies: { type: 'string', default: join(ROOT, 'bench/policies') },
    contexts: { type: 'string', default: join(ROOT, 'bench/contexts') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(`node bench/daemon/run.mjs [--seconds 5] [--warmup 2] [--json] [--only rest,rest-h2load,grpc,grpc-h2load,grpc-h2] [--setups 1,2,3,4]
    [--concurrency 1,50] [--channels 1] [--idle-seconds 15] [--audit file|off] [--node-flags "..."] [--cpu-prof DIR] [--keep]
  setups: 1 cache on, 2 cache off, 3 cache on with 2 workers, 4 cache off with 2 workers
  transports: rest (autocannon), rest-h2load (h2load --h1), grpc (grpc-js client), grpc-h2load (h2load),
              grpc-h2 (the same calls framed by hand on node:http2; not run unless asked for)
  h2load comes with nghttp2 (Debian/Ubuntu: apt-get install nghttp2-client); without it its lines are skipped`);
  process.exit(0);
}
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
/** How long the daemon sits idle before its idle memory is read (after start, and after the load). */
const IDLE = Number(args['idle-seconds']);
const TRANSPORTS = { rest: 'REST, autocannon', 'rest-h2load': 'REST, h2load', grpc: 'gRPC, grpc-js client', 'grpc-h2load': 'gRPC, h2load', 'grpc-h2': 'gRPC, node:http2 client' };
const DEFAULT_TRANSPORTS = ['rest', 'rest-h2load', 'grpc', 'grpc-h2load'];
const hasH2load = !spawnSync('h2load', ['--version']).error;
let transports = args.only ? args.only.split(',').map((s) => s.trim()) : DEFAULT_TRANSPORTS;
for (const t of transports) {
  if (!TRANSPORTS[t]) {
    console.error(`--only: unknown transport ${t} (${Object.keys(TRANSPORTS).join(', ')})`);
    process.exit(2);
  }
}
const skipped = hasH2load ? [] : transports.filter((t) => t.endsWith('-h2load'));
transports = transports.filter((t) => !skipped.includes(t));
if (!existsSync(join(ROOT, 'dist/daemon/startup.js'))) {
  console.error('dist/ is missing: run `npm run build` first (or `npm run bench:daemon`)');
  process.exit(2);
}

/** What each daemon configuration runs. */
const ALL_SETUPS = [
  { name: 'cache on', cache: true, workers: 1, runs: [1, 50] },
  { name: 'cache off', cache: false, workers: 1, runs: [1, 50] },
  { name: 'cache on, 2 workers', cache: true, workers: 2, runs: [50] },
  { name: 'cache off, 2 workers', cache: false, workers: 2, runs: [50] },
];
// --setups 1,2 (1-based) picks some of them.
const SETUPS = args.setups ? args.setups.split(',').map((i) => ALL_SETUPS[Number(i) - 1]).filter(Boolean) : ALL_SETUPS;

const work = mkdtempSync(join(tmpdir(), 'policy-engine-bench-'));
const log = (s) => (args.json ? process.stderr : process.stdout).write(s + '\n');
let current; // the daemon running now, stopped on any exit
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  if (current && current.exitCode === null && current.signalCode === null) {
    try {
      process.kill(current.pid, 'SIGKILL');
    } catch {}
  }
  if (!args.keep) rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('SIGTERM', () => {
  cleanup();
  process.exit(143);
});

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ------------------------------------------------------------ /proc readings

/** The daemon's process and, for a cluster, its workers. */
function processTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {}
  }
  return out;
}

function rssMb(pid) {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch {}
  }
  return kb / 1024;
}

/** CPU seconds (user + system) of the daemon's processes so far. */
function cpuSeconds(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds every process on the machine has used (the busy time in /proc/stat). */
function machineCpuSeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / 100;
}

// ------------------------------------------------------------ the daemon

function writeConfig(dir, setup, ports) {
  const config = {
    server: {
      listen_address: `${HOST}:${ports.grpc}`,
      http: { enabled: true, listen_address: `${HOST}:${ports.http}` },
    },
    registry: { local_policy_dir: resolve(args.policies) },
    cache: { decision_cache: { enabled: setup.cache } },
    runtime: { worker_threads: setup.workers },
    logging: { level: 'info', format: 'json', output: 'file', file: { path: join(dir, 'engine.log') } },
    metrics: { enabled: true, prometheus: { enabled: true, port: ports.metrics } },
    // Every decision is audited (the default), to a file; --audit off to see what that costs.
    audit: args.audit === 'off' ? { enabled: false } : { enabled: true, log_all_decisions: true, output: 'file', file: { path: join(dir, 'audit.log') } },
  };
  const file = join(dir, 'daemon.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

/** The daemon's own counts, from its Prometheus endpoint: decisions, audit records written and dropped. */
async function scrape(port) {
  try {
    const text = await readMetrics(port);
    return { decisions: sumMetric(text, 'policy_engine_requests_total'), audit_written: sumMetric(text, 'policy_engine_audit_written_total'), audit_dropped: sumMetric(text, 'policy_engine_audit_dropped_total') };
  } catch {
    return undefined;
  }
}

function httpStatus(port, path) {
  return new Promise((res) => {
    const req = get({ host: HOST, port, path, agent: false, timeout: 1000 }, (r) => {
      r.resume();
      res(r.statusCode);
    });
    req.on('error', () => res(0));
    req.on('timeout', () => req.destroy());
  });
}

async function startDaemon(setup, index) {
  const dir = join(work, `daemon-${index}`);
  mkdirSync(dir);
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort() };
  const config = writeConfig(dir, setup, ports);
  const nodeArgs = args['node-flags'].split(/\s+/).filter(Boolean);
  if (args['cpu-prof']) {
    const profDir = resolve(args['cpu-prof'], `${index}-${setup.name.replace(/[^a-z0-9]+/g, '-')}`);
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  }
  const out = join(dir, 'stdio.log');
  const fd = openSync(out, 'a');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'daemon', '--config', config], { cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  current = child;
  const deadline = Date.now() + 30_000;
  // Ready on several fresh connections in a row: with workers, each must have loaded the policies.
  for (let okInRow = 0; okInRow < 2 * setup.workers + 1; ) {
    if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}): ${readFileSync(out, 'utf8')}${readFileSync(join(dir, 'engine.log'), 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the daemon did not become ready in 30 s; see ${dir}`);
    okInRow = (await httpStatus(ports.http, '/health/ready')) === 200 ? okInRow + 1 : 0;
    await sleep(okInRow ? 20 : 100);
  }
  return { child, dir, ports };
}

async function stopDaemon(d) {
  if (d.child.exitCode !== null) return;
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  const t = setTimeout(() => d.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

// ------------------------------------------------------------ a load run

function runLoad(transport, port, concurrency, metricsPort) {
  return new Promise((res, rej) => {
    const child = spawn(
      process.execPath,
      [LOAD, '--transport', transport, '--port', String(port), '--concurrency', String(concurrency), '--seconds', String(SECONDS), '--warmup', String(WARMUP), '--channels', args.channels, '--contexts', resolve(args.contexts), '--metrics-port', String(metricsPort)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const kill = setTimeout(() => child.kill('SIGKILL'), (SECONDS + WARMUP) * 1000 + 60_000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      if (code !== 0) return rej(new Error(`load generator (${transport}, c=${concurrency}) failed (${code}): ${stderr}`));
      try {
        res(JSON.parse(stdout.trim().split('\n').pop()));
      } catch (e) {
        rej(new Error(`load generator output: ${stdout} ${stderr}`));
      }
    });
  });
}

// ------------------------------------------------------------ main

const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  seconds: SECONDS,
  warmup: WARMUP,
  grpc_channels: Number(args.channels),
  audit: args.audit === 'off' ? 'off' : 'file, every decision',
  node_flags: args['node-flags'],
};
log(`policy-engine daemon bench: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}`);
log(`the load generator and the daemon share these ${machine.cores} cores; every figure includes that contention`);
if (hasH2load) log(`h2load: ${spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]} (one thread; gRPC: one connection, c streams; REST: c HTTP/1.1 connections; the 3 contexts one after the other, a third of the time each)`);
log(`policies ${args.policies} (3 contexts in turn), ${WARMUP} s warm-up then ${SECONDS} s per run, 127.0.0.1 only`);
if (skipped.length) log(`h2load is not installed (Debian/Ubuntu: apt-get install nghttp2-client): skipping ${skipped.join(', ')}`);
log(`daemon: logging info to a file, ${args.audit === 'off' ? 'audit OFF' : 'audit of every decision to a file'}, metrics on, limits in memory${args['node-flags'] ? `, node ${args['node-flags']}` : ''} (temp dir ${work})`);
log('');

const rows = [];
const daemons = [];
try {
  for (let i = 0; i < SETUPS.length; i++) {
    const setup = SETUPS[i];
    const d = await startDaemon(setup, i);
    const readyAt = performance.now();
    await sleep(1000);
    const started = rssMb(d.child.pid);
    await sleep(Math.max(0, IDLE * 1000 - (performance.now() - readyAt)));
    const idle = rssMb(d.child.pid);
    const entry = { setup: setup.name, cache: setup.cache, workers: setup.workers, rss_at_start_mb: started, idle_rss_mb: idle, runs: [] };
    daemons.push(entry);
    const summed = setup.workers > 1 ? ` (primary + ${setup.workers} workers, summed)` : '';
    log(`[${setup.name}] daemon pid ${d.child.pid}; RSS 1 s after ready ${started.toFixed(1)} MB, after ${IDLE} s idle ${idle.toFixed(1)} MB${summed}`);
    for (const transport of transports) {
      for (const c of setup.runs.filter((n) => !args.concurrency || args.concurrency.split(',').map(Number).includes(n))) {
        const port = transport.startsWith('rest') ? d.ports.http : d.ports.grpc;
        const cpu0 = cpuSeconds(d.child.pid);
        const all0 = machineCpuSeconds();
        const t0 = performance.now();
        const r = await runLoad(transport, port, c, d.ports.metrics);
        // CPU over warm-up and run, as a share of one core: the daemon's, and
        // what is left of the machine's after the daemon and the load generator.
        const wall = (performance.now() - t0) / 1000;
        const daemonCpu = (cpuSeconds(d.child.pid) - cpu0) / wall;
        const otherCpu = Math.max(0, (machineCpuSeconds() - all0) / wall - daemonCpu - r.loadgen_cpu);
        const rss = rssMb(d.child.pid);
        // Daemon CPU time per decision, warm-up included (its decisions are estimated at the run's rate).
        const cpuUsPerDecision = (daemonCpu * wall * 1e6) / (r.per_second * (WARMUP + r.seconds));
        const row = { setup: setup.name, transport, concurrency: c, ...r, daemon_cpu: daemonCpu, daemon_cpu_us_per_decision: cpuUsPerDecision, other_cpu: otherCpu, rss_after_mb: rss };
        entry.runs.push(row);
        rows.push(row);
        log(
          `  ${transport.padEnd(11)} c=${String(c).padEnd(3)} ${fmtInt(r.per_second).padStart(7)} decisions/s  p50 ${fmtMs(r.p50_ms).padStart(8)}  p99 ${fmtMs(r.p99_ms).padStart(8)}  errors ${r.errors}  CPU daemon ${(daemonCpu * 100).toFixed(0)}% (${cpuUsPerDecision.toFixed(0)} µs/decision) load ${(r.loadgen_cpu * 100).toFixed(0)}% other ${(otherCpu * 100).toFixed(0)}%  RSS after ${rss.toFixed(1)} MB  [${r.decisions.join(', ')}]`,
        );
      }
    }
    await sleep(IDLE * 1000);
    entry.rss_after_idle_mb = rssMb(d.child.pid);
    entry.counts = await scrape(d.ports.metrics);
    await stopDaemon(d);
    current = undefined;
    const logLines = readFileSync(join(d.dir, 'engine.log'), 'utf8').split('\n').filter(Boolean).length;
    const auditBytes = existsSync(join(d.dir, 'audit.log')) ? statSync(join(d.dir, 'audit.log')).size : 0;
    entry.log_lines = logLines;
    entry.audit_mb = auditBytes / 1048576;
    const c = entry.counts;
    const counted = c ? `; the daemon counted ${fmtInt(c.decisions)} decisions, ${fmtInt(c.audit_written)} audit records written, ${fmtInt(c.audit_dropped)} dropped` : '';
    log(`  ${IDLE} s after the load: RSS ${entry.rss_after_idle_mb.toFixed(1)} MB; log file ${logLines} lines; audit file ${entry.audit_mb.toFixed(1)} MB${counted}`);
    log('');
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  cleanup();
  process.exit(1);
}

// The summary table.
const header = ['daemon', 'transport', 'c', 'decisions/s', 'p50', 'p99', 'errors', 'CPU daemon', 'daemon µs/decision', 'CPU load gen.', 'CPU other', 'RSS after'];
const pct = (x) => `${(x * 100).toFixed(0)}%`;
const table = [
  header,
  ...rows.map((r) => [r.setup, TRANSPORTS[r.transport], String(r.concurrency), fmtInt(r.per_second), fmtMs(r.p50_ms), fmtMs(r.p99_ms), String(r.errors), pct(r.daemon_cpu), r.daemon_cpu_us_per_decision.toFixed(0), pct(r.loadgen_cpu), pct(r.other_cpu), `${r.rss_after_mb.toFixed(0)} MB`]),
];
const widths = header.map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row) => `| ${row.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
log(line(header));
log(`| ${widths.map((w, i) => (i >= 2 ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`);
for (const row of table.slice(1)) log(line(row));
log('');
log(`RSS (MB): 1 s after ready / after ${IDLE} s idle / ${IDLE} s after the load`);
for (const d of daemons) {
  log(`  ${d.setup.padEnd(22)} ${d.rss_at_start_mb.toFixed(1).padStart(6)} / ${d.idle_rss_mb.toFixed(1).padStart(6)} / ${d.rss_after_idle_mb.toFixed(1).padStart(6)}${d.workers > 1 ? `  (primary + ${d.workers} workers, summed: shared pages count once per process)` : ''}`);
}
log(`CPU: over warm-up and run, per second of wall time (100% = one core of the ${machine.cores}): the daemon's processes, the load generator's, and every other process on the machine`);

if (args.json) process.stdout.write(JSON.stringify({ machine, daemons }, null, 2) + '\n');
cleanup();
if (args.keep) log(`kept ${work}`);
process.exit(0);
