// POST /v1/evaluate answered in front of Fastify (fast-evaluate.ts) against
// Fastify answering it: the same bytes on the wire (but for the Date header)
// and the same decisions and errors reported to the hooks, for plain
// requests, broken ones, and the ones the fast path leaves to Fastify.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { PolicyEngine } from '../../src/engine/engine.js';
import { FastEvaluate } from '../../src/server/http/fast-evaluate.js';
import { type RunningHttpServer, startHttpServer } from '../../src/server/http/server.js';
import { Readiness } from '../../src/server/readiness.js';
import { PolicyService } from '../../src/server/service.js';
import { buildEngine, serverConfig } from './harness.js';

interface Side {
  readonly server: RunningHttpServer;
  readonly events: string[];
}

/** One HTTP exchange on a fresh connection: everything the server wrote until it closed or went quiet. */
function exchange(port: number, raw: string | Buffer, quietMs = 150): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(out.replace(/\r\ndate: [^\r]*/gi, '\r\ndate: X'));
    };
    s.on('data', (b) => {
      out += b.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    s.on('end', done);
    s.on('error', reject);
    s.write(raw);
  });
}

function post(body: string, headers: Record<string, string> = {}, path = '/v1/evaluate'): string {
  const h = { host: 'x', 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers };
  return `POST ${path} HTTP/1.1\r\n${Object.entries(h)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n${body}`;
}

const FREE = { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-free', tier: 'free' } };
const PRO = { request: { model: 'gpt-4', prompt: 'hi' }, user: { id: 'u-pro', tier: 'pro' } };
const DEV = { request: { model: 'gpt-4o', max_tokens: 2000, tools: ['search'], prompt: 'a prompt longer than twenty characters' }, user: { id: 'u-dev', tier: 'pro' }, environment: 'development' };

const REQUESTS: [string, string | Buffer][] = [
  ['allow', post(JSON.stringify({ context: PRO }))],
  ['deny with a suggestion', post(JSON.stringify({ context: FREE }))],
  ['modify with set values, trace', post(JSON.stringify({ context: DEV, trace: true }))],
  ['dry run, now', post(JSON.stringify({ context: PRO, dry_run: true, now: '2026-01-01T00:00:00Z' }))],
  ['charset', post(JSON.stringify({ context: PRO }), { 'content-type': 'application/json; charset=utf-8' })],
  ['other spelling of the type', post(JSON.stringify({ context: PRO }), { 'content-type': 'application/json;charset=UTF-8' })],
  ['text/plain', post(JSON.stringify({ context: PRO }), { 'content-type': 'text/plain' })],
  ['no content type', post(JSON.stringify({ context: PRO }), { 'content-type': '' })],
  ['malformed JSON', post('{"context": {"request": }')],
  ['__proto__', post('{"context": {"__proto__": {"x": 1}}}')],
  ['not an object', post('[1, 2]')],
  ['unknown field', post(JSON.stringify({ context: PRO, dryRun: true }))],
  ['bad now', post(JSON.stringify({ context: PRO, now: 'yesterday' }))],
  ['no context', post('{}')],
  ['unicode and invalid UTF-8', Buffer.concat([Buffer.from(post('{"context": {"user": {"id": "é\u2028X"}}}').slice(0, -4)), Buffer.from([0xff, 0x22, 0x7d, 0x7d])])],
  ['query string', post(JSON.stringify({ context: PRO }), {}, '/v1/evaluate?x=1')],
  ['trailing slash', post(JSON.stringify({ context: PRO }), {}, '/v1/evaluate/')],
  ['Origin header', post(JSON.stringify({ context: PRO }), { origin: 'http://localhost:3000' })],
  ['foreign Origin', post(JSON.stringify({ context: PRO }), { origin: 'http://evil.example' })],
  ['empty body', post('')],
  ['too large', post(JSON.stringify({ context: { pad: 'x'.repeat(1_100_000) } }))],
  ['chunked', `POST /v1/evaluate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${(JSON.stringify({ context: PRO }).length).toString(16)}\r\n${JSON.stringify({ context: PRO })}\r\n0\r\n\r\n`],
  ['connection: close', post(JSON.stringify({ context: FREE }), { connection: 'close' })],
  ['HTTP/1.0', post(JSON.stringify({ context: FREE })).replace('HTTP/1.1', 'HTTP/1.0')],
  ['expect 100-continue', post(JSON.stringify({ context: PRO }), { expect: '100-continue' })],
  ['two pipelined', post(JSON.stringify({ context: FREE })) + post(JSON.stringify({ context: PRO }))],
  ['pipelined after a bad body', post('{nope') + post(JSON.stringify({ context: PRO }))],
  ['GET', 'GET /v1/evaluate HTTP/1.1\r\nhost: x\r\n\r\n'],
];

async function side(fast: boolean, engine: () => PolicyEngine | undefined, http: { cors_enabled: boolean; cors_allowed_origins: string[] }): Promise<Side> {
  const events: string[] = [];
  const config = serverConfig({ http, limits: { max_request_size_mb: 1 } });
  const service = new PolicyService({
    engine,
    limits: config.limits,
    hooks: {
      onDecision: (d, info) => events.push(`decision ${d.decision} ${info.transport} ${info.dry_run} ${JSON.stringify(info.context)}`),
      onError: (e, info) => events.push(`error ${e.code} ${info.transport} ${info.operation} ${e.message}`),
    },
  });
  const readiness = new Readiness(service);
  readiness.setServing(true);
  const server = await startHttpServer({ server: config, service, readiness, logger: { info() {}, warn() {}, error() {} }, fastEvaluate: fast });
  return { server, events };
}

for (const [label, http] of [
  ['CORS for any origin', { cors_enabled: true, cors_allowed_origins: ['*'] }],
  ['CORS for a list of origins', { cors_enabled: true, cors_allowed_origins: ['http://localhost:3000', 'https://*.example.com'] }],
  ['no CORS', { cors_enabled: false, cors_allowed_origins: ['*'] }],
] as const) {
  describe(`fast path = Fastify (${label})`, () => {
    let engine: PolicyEngine | undefined;
    let fast: Side;
    let slow: Side;
    beforeAll(async () => {
      engine = await buildEngine();
      fast = await side(true, () => engine, { ...http, cors_allowed_origins: [...http.cors_allowed_origins] });
      slow = await side(false, () => engine, { ...http, cors_allowed_origins: [...http.cors_allowed_origins] });
    });
    afterAll(async () => {
      await fast.server.close(100);
      await slow.server.close(100);
    });

    test.each(REQUESTS)('%s', async (_name, raw) => {
      fast.events.length = 0;
      slow.events.length = 0;
      const a = await exchange(fast.server.port, raw);
      const b = await exchange(slow.server.port, raw);
      // Decision ids and timings differ from one evaluation to the next.
      const norm = (s: string) => s.replace(/"decision_id":"[^"]*"/g, '"decision_id":"X"').replace(/"evaluation_time_us":[\d.e+-]+/g, '"evaluation_time_us":0');
      const lengths = (s: string) => s.replace(/content-length: \d+/gi, 'content-length: N');
      expect(lengths(norm(a))).toBe(lengths(norm(b)));
      expect(a.length > 0).toBe(true);
      expect(fast.events).toEqual(slow.events);
    });

    test('the fast path answers the plain requests and leaves the others to Fastify', async () => {
      const spy = vi.spyOn(FastEvaluate.prototype, 'handle');
      try {
        await exchange(fast.server.port, post(JSON.stringify({ context: PRO })));
        await exchange(fast.server.port, post('{nope'));
        await exchange(fast.server.port, post(JSON.stringify({ context: PRO }), {}, '/v1/evaluate?x=1'));
        await exchange(fast.server.port, post(JSON.stringify({ context: PRO }), { origin: 'http://localhost:3000' }));
        expect(spy.mock.results.map((r) => r.value)).toEqual([true, true, false, false]);
      } finally {
        spy.mockRestore();
      }
    });

    test('not ready: the same 503', async () => {
      const saved = engine;
      engine = undefined;
      try {
        const raw = post(JSON.stringify({ context: PRO }));
        expect(await exchange(fast.server.port, raw)).toBe(await exchange(slow.server.port, raw));
      } finally {
        engine = saved;
      }
    });
  });
}
