// The /metrics endpoint over real HTTP (fetch): the configured path only, the
// Prometheus content type, errors as 500, and a close() that does not wait for
// keep-alive connections.

import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/observability/metrics-server.js';
import { parseExposition, valueOf } from './prom-text.js';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startMetricsServer', () => {
  it('serves the metrics at the path, and nothing else', async () => {
    const m = new Metrics();
    m.recordRequest('deny', 'http', 0.0004);
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, path: '/metrics', contentType: m.contentType }, () => m.metricsText());
    const base = `http://127.0.0.1:${server.port}`;

    const ok = await fetch(`${base}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(await ok.text());
    expect(valueOf(e, 'policy_engine_requests_total', { decision: 'deny', transport: 'http' })).toBe(1);
    expect(valueOf(e, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('honours a custom path', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, path: '/prom' }, async () => 'x 1\n');
    expect(await (await fetch(`http://127.0.0.1:${server.port}/prom`)).text()).toBe('x 1\n');
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(404);
  });

  it('answers 500 when the metrics cannot be gathered', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, path: '/metrics' }, () => Promise.reject(new Error('a worker did not report')));
    const r = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(r.status).toBe(500);
    expect(await r.text()).toContain('a worker did not report');
  });

  it('rejects when the port is taken, and closes promptly with a keep-alive client', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, path: '/metrics' }, async () => '');
    await expect(startMetricsServer({ host: '127.0.0.1', port: server.port, path: '/metrics' }, async () => '')).rejects.toThrow(/EADDRINUSE/);
    await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { connection: 'keep-alive' } });
    const t0 = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
