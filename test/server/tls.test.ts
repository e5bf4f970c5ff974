// TLS and mTLS on both ports, with certificates generated for the run.

import { credentials, status } from '@grpc/grpc-js';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Pem, type TestCerts, makeCerts } from './certs.js';
import { decisionFromMessage, evaluateMessage, grpcHealthClient, grpcPolicyClient, unaryCall } from './clients.js';
import { type Harness, startHarness } from './harness.js';

const PRO = { request: { model: 'gpt-4' }, user: { id: 'u', tier: 'pro' } };

/** POST /v1/evaluate over https, trusting `ca`, presenting `client` when given. */
function httpsEvaluate(h: Harness, ca: string, client?: Pem): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${h.httpBase}/v1/evaluate`,
      { method: 'POST', ca, ...(client ? { cert: client.cert, key: client.key } : {}), headers: { 'content-type': 'application/json' }, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ context: PRO }));
  });
}

function grpcEvaluate(h: Harness, ca: string, client?: Pem): Promise<any> {
  const creds = client
    ? credentials.createSsl(Buffer.from(ca), Buffer.from(client.key), Buffer.from(client.cert))
    : credentials.createSsl(Buffer.from(ca));
  const c = grpcPolicyClient(h.grpcAddress, creds);
  return unaryCall(c, 'Evaluate', evaluateMessage({ context: PRO }), { deadline: Date.now() + 5000 }).finally(() => c.close());
}

let certs: TestCerts;
beforeAll(async () => {
  certs = await makeCerts();
});
afterAll(() => certs.remove());

describe('TLS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { tls: { enabled: true, cert_file: certs.files.cert, key_file: certs.files.key, client_auth: false } } });
  });
  afterAll(() => h.close());

  test('REST over https', async () => {
    expect(h.httpBase).toMatch(/^https:/);
    const r = await httpsEvaluate(h, certs.ca.cert);
    expect(r.status).toBe(200);
    expect(r.body.decision).toBe('allow');
  });

  test('gRPC over TLS, health included', async () => {
    const r = await grpcEvaluate(h, certs.ca.cert);
    expect(decisionFromMessage(r.decision).decision).toBe('allow');
    const health = grpcHealthClient(h.grpcAddress, credentials.createSsl(Buffer.from(certs.ca.cert)));
    const s = await new Promise<any>((resolve, reject) => health.check({ service: '' }, (e: unknown, res: unknown) => (e ? reject(e) : resolve(res))));
    health.close();
    expect(s.status).toBe('SERVING');
  });

  test('a plaintext client is not served', async () => {
    const c = grpcPolicyClient(h.grpcAddress);
    await expect(unaryCall(c, 'Evaluate', evaluateMessage({ context: PRO }), { deadline: Date.now() + 3000 })).rejects.toMatchObject({
      code: expect.toSatisfy((code: number) => code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED),
    });
    c.close();
    await expect(fetch(`http://127.0.0.1:${h.servers.httpPort}/health`)).rejects.toThrow();
  });
});

describe('mTLS (client_auth)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: { tls: { enabled: true, cert_file: certs.files.cert, key_file: certs.files.key, client_auth: true, ca_file: certs.files.ca } },
    });
  });
  afterAll(() => h.close());

  test('a client certificate from the CA is served on both ports', async () => {
    expect((await httpsEvaluate(h, certs.ca.cert, certs.client)).body.decision).toBe('allow');
    expect(decisionFromMessage((await grpcEvaluate(h, certs.ca.cert, certs.client)).decision).decision).toBe('allow');
  });

  test('a client without a certificate is refused on both ports', async () => {
    await expect(httpsEvaluate(h, certs.ca.cert)).rejects.toThrow();
    await expect(grpcEvaluate(h, certs.ca.cert)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  test('a client certificate from another CA is refused on both ports', async () => {
    await expect(httpsEvaluate(h, certs.ca.cert, certs.strangerClient)).rejects.toThrow();
    await expect(grpcEvaluate(h, certs.ca.cert, certs.strangerClient)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});

test('unreadable certificate files fail start-up with the key at fault', async () => {
  await expect(startHarness({ config: { tls: { enabled: true, cert_file: '/nonexistent/server.crt', key_file: certs.files.key } } })).rejects.toThrow(
    /^server\.tls\.cert_file: cannot read '\/nonexistent\/server\.crt': ENOENT/,
  );
});
