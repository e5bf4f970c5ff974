// TLS and mTLS on both ports of the real daemon, with certificates made for
// the run (test/server/certs.ts): server.tls.enabled with cert_file and
// key_file; then client_auth with ca_file, where a client must present a
// certificate from that CA.

import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Pem, type TestCerts, makeCerts } from '../server/certs.js';
import { decisionFromMessage, evaluateMessage, grpcHealthClient, grpcPolicyClient, unaryCall } from '../server/clients.js';
import { type DaemonProcess, modelsPolicy, postJson, request, startDaemon } from './daemon-process.js';

const POLICY = modelsPolicy();
const CONTEXT = { request: { model: 'gpt-4o' } };

function grpcEvaluate(d: DaemonProcess, ca: string | undefined, client?: Pem, deadlineMs = 5000): Promise<any> {
  const creds =
    ca === undefined
      ? credentials.createInsecure()
      : client
        ? credentials.createSsl(Buffer.from(ca), Buffer.from(client.key), Buffer.from(client.cert))
        : credentials.createSsl(Buffer.from(ca));
  const c = grpcPolicyClient(d.grpcAddress, creds);
  return unaryCall(c, 'Evaluate', evaluateMessage({ context: CONTEXT }), { deadline: Date.now() + deadlineMs }).finally(() => c.close());
}

function grpcHealth(d: DaemonProcess, ca: string, client?: Pem): Promise<string> {
  const creds = client ? credentials.createSsl(Buffer.from(ca), Buffer.from(client.key), Buffer.from(client.cert)) : credentials.createSsl(Buffer.from(ca));
  const c = grpcHealthClient(d.grpcAddress, creds);
  return new Promise<string>((resolve, reject) =>
    c.check({ service: '' }, { deadline: Date.now() + 5000 }, (e: any, r: any) => {
      c.close();
      if (e) reject(e);
      else resolve(r.status);
    }),
  );
}

let certs: TestCerts;
let tls: DaemonProcess;
let mtls: DaemonProcess;

beforeAll(async () => {
  certs = await makeCerts();
  const files = certs.files;
  // Both daemons start side by side.
  [tls, mtls] = await Promise.all([
    startDaemon({
      policies: { 'models.yaml': POLICY },
      config: { server: { tls: { enabled: true, cert_file: files.cert, key_file: files.key } } },
      tls: { ca: certs.ca.cert },
    }),
    startDaemon({
      policies: { 'models.yaml': POLICY },
      config: { server: { tls: { enabled: true, cert_file: files.cert, key_file: files.key, client_auth: true, ca_file: files.ca } } },
      tls: { ca: certs.ca.cert, client: certs.client },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([tls?.dispose(), mtls?.dispose()]);
  certs?.remove();
});

describe.concurrent('TLS', () => {
  test('REST over https: evaluate and health', async () => {
    expect(tls.httpBase).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const r = await postJson(`${tls.httpBase}/v1/evaluate`, { context: CONTEXT }, { tls: { ca: certs.ca.cert } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).decision).toBe('allow');
    expect((await request(`${tls.httpBase}/health/ready`, { tls: { ca: certs.ca.cert } })).status).toBe(200);
    expect(tls.logs('HTTP server listening')[0]).toMatchObject({ tls: true, mtls: false });
    expect(tls.logs('gRPC server listening')[0]).toMatchObject({ tls: true, mtls: false });
  });

  test('gRPC over TLS: evaluate and health', async () => {
    expect(decisionFromMessage((await grpcEvaluate(tls, certs.ca.cert)).decision).decision).toBe('allow');
    expect(await grpcHealth(tls, certs.ca.cert)).toBe('SERVING');
  });

  test('plaintext clients are not served; nor are clients that do not trust the certificate', async () => {
    await expect(request(`http://127.0.0.1:${tls.ports.http}/health`, { timeoutMs: 3000 })).rejects.toThrow();
    await expect(grpcEvaluate(tls, undefined, undefined, 1500)).rejects.toMatchObject({
      code: expect.toSatisfy((code: number) => code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED),
    });
    // A client trusting another CA refuses the server's certificate.
    await expect(request(`${tls.httpBase}/health`, { tls: { ca: certs.strangerClient.cert } })).rejects.toThrow();
    // The daemon is unharmed.
    expect((await request(`${tls.httpBase}/health/ready`, { tls: { ca: certs.ca.cert } })).status).toBe(200);
  });
});

describe('mTLS (client_auth with ca_file)', () => {
  test('a client certificate from the CA is served on both ports', async () => {
    const r = await postJson(`${mtls.httpBase}/v1/evaluate`, { context: CONTEXT }, { tls: { ca: certs.ca.cert, client: certs.client } });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).decision).toBe('allow');
    expect(decisionFromMessage((await grpcEvaluate(mtls, certs.ca.cert, certs.client)).decision).decision).toBe('allow');
    expect(await grpcHealth(mtls, certs.ca.cert, certs.client)).toBe('SERVING');
    expect(mtls.logs('HTTP server listening')[0]).toMatchObject({ tls: true, mtls: true });
    expect(mtls.logs('gRPC server listening')[0]).toMatchObject({ tls: true, mtls: true });
  });

  test('a client without a certificate is refused on both ports', async () => {
    await expect(postJson(`${mtls.httpBase}/v1/evaluate`, { context: CONTEXT }, { tls: { ca: certs.ca.cert } })).rejects.toThrow();
    await expect(grpcEvaluate(mtls, certs.ca.cert)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  test('a client certificate from another CA is refused on both ports', async () => {
    await expect(postJson(`${mtls.httpBase}/v1/evaluate`, { context: CONTEXT }, { tls: { ca: certs.ca.cert, client: certs.strangerClient } })).rejects.toThrow();
    await expect(grpcEvaluate(mtls, certs.ca.cert, certs.strangerClient)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  test('refused clients leave the daemon serving, and no decision was made for them', async () => {
    expect((await request(`${mtls.httpBase}/health/ready`, { tls: { ca: certs.ca.cert, client: certs.client } })).status).toBe(200);
    expect(mtls.exit).toBeUndefined();
    const m = await mtls.metrics();
    const decisions = m.filter((s) => s.name === 'policy_engine_requests_total').reduce((a, s) => a + s.value, 0);
    // The accepted evaluations of the first test: one over REST, one over gRPC.
    expect(decisions).toBe(2);
  });
});
