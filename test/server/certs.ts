// Test certificates, made fresh for each run: a CA, a server certificate for
// 127.0.0.1 signed by it, a client certificate signed by it (mTLS), and a
// client certificate from an unrelated CA (refused under mTLS).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface Pem {
  readonly cert: string;
  readonly key: string;
}

export interface TestCerts {
  readonly dir: string;
  readonly ca: Pem;
  readonly server: Pem;
  readonly client: Pem;
  readonly strangerClient: Pem;
  /** Paths of the server's files, for server.tls. */
  readonly files: { readonly cert: string; readonly key: string; readonly ca: string };
  remove(): void;
}

const EC = { keyType: 'ec', algorithm: 'sha256' } as const;

async function makeCa(name: string): Promise<Pem> {
  const ca = await generate([{ name: 'commonName', value: name }], {
    ...EC,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: ca.cert, key: ca.private };
}

async function makeClient(ca: Pem, name: string): Promise<Pem> {
  const c = await generate([{ name: 'commonName', value: name }], {
    ...EC,
    ca,
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true }, { name: 'extKeyUsage', clientAuth: true }],
  });
  return { cert: c.cert, key: c.private };
}

export async function makeCerts(): Promise<TestCerts> {
  const ca = await makeCa('policy-engine test CA');
  const s = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...EC,
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const server = { cert: s.cert, key: s.private };
  const client = await makeClient(ca, 'gateway');
  const strangerClient = await makeClient(await makeCa('some other CA'), 'stranger');
  const dir = mkdtempSync(join(tmpdir(), 'policy-engine-tls-'));
  const files = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
  writeFileSync(files.cert, server.cert);
  writeFileSync(files.key, server.key);
  writeFileSync(files.ca, ca.cert);
  return { dir, ca, server, client, strangerClient, files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
