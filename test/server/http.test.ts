// What only the REST adapter has: JSON bodies (malformed, oversized, wrong
// content type), routes and the OpenAPI document, CORS, health endpoints.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildHttpApp } from '../../src/server/http/app.js';
import { Readiness } from '../../src/server/readiness.js';
import { PolicyService } from '../../src/server/service.js';
import { type Harness, startHarness } from './harness.js';

const PRO = { request: { model: 'gpt-4' }, user: { id: 'u', tier: 'pro' } };

async function post(h: Harness, path: string, body: string | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(h.httpBase + path, { method: 'POST', body, headers });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe('request bodies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { limits: { max_request_size_mb: 0.01 } } });
  });
  afterAll(() => h.close());

  test.each([
    ['malformed JSON', '{"context": {"request": }', /^the request body is not valid JSON: Unexpected token '}'/],
    ['truncated JSON', '{"context": {', /^the request body is not valid JSON: /],
    ['an empty body', '', /^the request body is empty: send a JSON object$/],
    ['a JSON array', '[1]', /^the request body must be a JSON object, got an array$/],
    ['a context that is an array', '{"context": []}', /^context must be a JSON object, got an array$/],
    ['a context that is a string', '{"context": "x"}', /^context must be a JSON object, got a string$/],
    ['a misspelt field', '{"context": {}, "dryRun": true}', /^dryRun is not a field of an evaluation request \(expected context, trace, dry_run, now\)$/],
    ['trace that is not a boolean', '{"context": {}, "trace": "yes"}', /^trace must be true or false, got a string$/],
    ['a __proto__ key', '{"context": {"__proto__": {"admin": true}}}', /"__proto__" key/],
    ['an escaped __proto__ key', '{"context": {"\\u005f_proto__": {}}}', /"__proto__" key/],
  ])('%s: 400 invalid_argument', async (_name, body, message) => {
    const r = await post(h, '/v1/evaluate', body);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_argument');
    expect(r.body.error.message).toMatch(message);
  });

  test('a body over max_request_size_mb: 413 resource_exhausted, with a JSON error body', async () => {
    const r = await post(h, '/v1/evaluate', JSON.stringify({ context: { request: { prompt: 'x'.repeat(20_000) } } }));
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.body).toEqual({ error: { code: 'resource_exhausted', message: 'the request body is larger than 0.01 MB (server.limits.max_request_size_mb)' } });
  });

  test('a body that is not JSON: 415', async () => {
    const r = await post(h, '/v1/evaluate', 'context=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
    expect(r.body.error).toEqual({ code: 'unsupported_media_type', message: "Content-Type must be application/json, got 'application/x-www-form-urlencoded'" });
  });

  test('no body at all', async () => {
    const r = await post(h, '/v1/evaluate', undefined, {});
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('the request body must be a JSON object, got nothing');
  });

  test('content types with parameters are JSON too', async () => {
    const r = await post(h, '/v1/evaluate', JSON.stringify({ context: PRO }), { 'content-type': 'application/json; charset=utf-8' });
    expect(r.status).toBe(200);
    expect(r.body.decision).toBe('allow');
  });

  test('an unknown route: 404 not_found with the error body', async () => {
    const r = await post(h, '/v1/evaluations', '{}');
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({ code: 'not_found', message: 'no route POST /v1/evaluations: see GET /openapi.json' });
  });

  test('a policy id with an encoded slash', async () => {
    const res = await fetch(`${h.httpBase}/v1/policies/acme%2Fmodels`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).policy.id).toBe('acme/models');
  });

  test('transport errors reach the onError hook once', async () => {
    const before = h.errors.length;
    await post(h, '/v1/evaluate', '{');
    await post(h, '/v1/evaluate', '{"context": 1}');
    expect(h.errors.slice(before).map((e) => [e.error.code, e.info])).toEqual([
      ['invalid_argument', { transport: 'http', operation: 'transport' }],
      ['invalid_argument', { transport: 'http', operation: 'evaluate' }],
    ]);
  });
});

describe('health endpoints', () => {
  test('/health and /health/ready: 503 until ready; /health/live: 200 throughout', async () => {
    const h = await startHarness({ serving: false });
    const get = async (p: string) => {
      const res = await fetch(h.httpBase + p);
      return [res.status, await res.json()];
    };
    try {
      expect(await get('/health')).toEqual([503, { status: 'starting' }]);
      expect(await get('/health/ready')).toEqual([503, { status: 'starting' }]);
      expect(await get('/health/live')).toEqual([200, { status: 'ok' }]);
      h.servers.setServing(true);
      expect(await get('/health')).toEqual([200, { status: 'ok' }]);
      expect(await get('/health/ready')).toEqual([200, { status: 'ok' }]);
      h.engine = undefined;
      expect(await get('/health/ready')).toEqual([503, { status: 'starting' }]);
    } finally {
      await h.close();
    }
  });
});

describe('CORS', () => {
  const preflight = (h: Harness, origin: string) =>
    fetch(`${h.httpBase}/v1/evaluate`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  const simple = (h: Harness, origin: string) => fetch(`${h.httpBase}/v1/policies`, { headers: { origin } });

  test("cors_allowed_origins ['*']: any origin", async () => {
    const h = await startHarness({ config: { http: { cors_enabled: true, cors_allowed_origins: ['*'] } } });
    try {
      const p = await preflight(h, 'https://anywhere.example');
      expect(p.status).toBe(204);
      expect(p.headers.get('access-control-allow-origin')).toBe('*');
      expect(p.headers.get('access-control-allow-methods')).toContain('POST');
      expect(p.headers.get('access-control-allow-headers')).toBe('content-type');
      expect((await simple(h, 'https://anywhere.example')).headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await h.close();
    }
  });

  test('a list of origins, with a wildcard subdomain', async () => {
    const h = await startHarness({ config: { http: { cors_enabled: true, cors_allowed_origins: ['https://app.example.com', 'https://*.example.org'] } } });
    try {
      expect((await preflight(h, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect((await simple(h, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect((await simple(h, 'https://eu.example.org')).headers.get('access-control-allow-origin')).toBe('https://eu.example.org');
      expect((await simple(h, 'https://evil.example.net')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await simple(h, 'https://example.org.evil.net')).headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await h.close();
    }
  });

  test('cors_enabled false: no CORS headers, no preflight route', async () => {
    const h = await startHarness({ config: { http: { cors_enabled: false } } });
    try {
      expect((await simple(h, 'https://app.example.com')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await preflight(h, 'https://app.example.com')).status).toBe(404);
    } finally {
      await h.close();
    }
  });
});

describe('OpenAPI document', () => {
  test('describes exactly the routes the app serves, and every $ref resolves', async () => {
    const service = new PolicyService({ engine: () => undefined, limits: { max_batch_size: 5, request_timeout_seconds: 5 } });
    const app = await buildHttpApp({ service, readiness: new Readiness(service), maxRequestSizeMb: 1, cors: { enabled: false, allowedOrigins: [] } });
    await app.ready();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const operations: [string, string][] = [];
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(methods)) operations.push([method.toUpperCase(), path.replace(/\{(\w+)\}/g, ':$1')]);
    }
    for (const [method, url] of operations) expect(app.hasRoute({ method: method as 'GET', url }), `${method} ${url}`).toBe(true);
    // And nothing more: every GET and POST the router holds is documented.
    const registered = app.printRoutes({ commonPrefix: false }).match(/\b(GET|POST)\b/g) ?? [];
    expect(registered.length).toBe(operations.length);
    expect(operations).toEqual(
      expect.arrayContaining([
        ['POST', '/v1/evaluate'],
        ['POST', '/v1/evaluate/batch'],
        ['POST', '/v1/usage'],
        ['GET', '/v1/policies'],
        ['GET', '/v1/policies/:id'],
        ['GET', '/v1/policies/:namespace/:name'],
        ['GET', '/health'],
        ['GET', '/health/live'],
        ['GET', '/health/ready'],
        ['GET', '/openapi.json'],
      ]),
    );
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) {
      const name = /#\/components\/schemas\/(\w+)/.exec(r)?.[1];
      expect(doc.components.schemas[name!], r).toBeDefined();
    }
    await app.close();
  });
});
