// A REST client too slow to send its request (headers or body not complete
// within server.limits.request_timeout_seconds): a 408 in the API's error
// shape, the connection closed, and one request_timeout error reported —
// whichever part was late and whichever path (the fast path or Fastify) was
// reading the body.

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const MESSAGE = 'the request (headers and body) did not arrive within 0.3 s (server.limits.request_timeout_seconds)';

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Milliseconds from the first byte sent to the connection closing. */
  readonly ms: number;
}

/** Sends `head` and then nothing more; resolves when the server closes the connection. */
function sendAndStall(port: number, head: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = connect(port, '127.0.0.1', () => s.write(head));
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (text += c));
    s.on('error', () => undefined);
    s.on('close', () => {
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP answer before the connection closed: ${JSON.stringify(text)}`));
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(statusLine!)?.[1]), headers, body: text.slice(end + 4), ms: Date.now() - started });
    });
  });
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { limits: { request_timeout_seconds: 0.3 } } });
});
afterAll(() => h.close());

describe.each([
  // Content-Length and application/json on /v1/evaluate: the fast path reads the body.
  ['a body the fast path reads', 'POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"context"'],
  // Another route: Fastify reads the body.
  ['a body Fastify reads', 'POST /v1/evaluate/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"items"'],
  ['a chunked body', 'POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"con\r\n'],
  ['headers that never end', 'POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: appl'],
])('%s', (_name, head) => {
  test('408 request_timeout in the API shape naming the setting, connection closed, reported once', async () => {
    const before = h.errors.length;
    const r = await sendAndStall(h.servers.httpPort!, head);
    expect(r.status).toBe(408);
    expect(r.headers['connection']).toBe('close');
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'request_timeout', message: MESSAGE } });
    // Cut off near the limit (Node checks every 300 ms here), not left open.
    expect(r.ms).toBeLessThan(2000);
    // The body read that failed with the connection gone is not a second error.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info.transport, e.info.operation])).toEqual([['request_timeout', 'http', 'transport']]);
    // The server keeps serving.
    const ok = await fetch(`${h.httpBase}/v1/evaluate`, { method: 'POST', body: JSON.stringify({ context: {} }), headers: { 'content-type': 'application/json' } });
    expect(ok.status).toBe(200);
  });
});

test('malformed HTTP keeps the framework answer and is not counted', async () => {
  const before = h.errors.length;
  const r = await sendAndStall(h.servers.httpPort!, 'NOT HTTP AT ALL\r\n\r\n');
  expect(r.status).toBe(400);
  expect(JSON.parse(r.body)).toEqual({ error: 'Bad Request', message: 'Client Error', statusCode: 400 });
  expect(h.errors.slice(before)).toEqual([]);
});
