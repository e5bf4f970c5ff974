// `policy-engine health [--url URL]`: exits 0 when the daemon at URL is ready
// to serve (GET /health/ready answers 200), 1 otherwise — for the Docker
// HEALTHCHECK and scripts. Prints one line saying which.
//
// node:http(s) rather than fetch: a daemon with TLS, or with mTLS
// (server.tls.client_auth), needs our CA and a client certificate, which
// fetch cannot be given without another dependency.

import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './output.js';

const DEFAULT_URL = 'http://localhost:8080';

export interface HealthOptions {
  readonly url?: string;
  readonly timeout: string;
  /** PEM file of the CA that signed the daemon's certificate (https). */
  readonly ca?: string;
  /** Client certificate and key (PEM) for a daemon that requires them (mTLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Do not verify the daemon's certificate (a self-signed test setup). */
  readonly insecure?: boolean;
}

export async function healthCommand(o: HealthOptions): Promise<number> {
  const base = (o.url ?? DEFAULT_URL).replace(/\/+$/, '');
  const timeoutMs = Number(o.timeout);
  let url: URL;
  try {
    url = new URL(`${base}/health/ready`);
  } catch {
    throw new UsageError(`--url ${base} is not a URL; e.g. http://localhost:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url must start with http:// or https://, got ${base}`);
  if ((o.cert === undefined) !== (o.key === undefined)) throw new UsageError('--cert and --key go together: the client certificate and its private key');
  const tls = url.protocol === 'https:' ? { ca: pem(o.ca, '--ca'), cert: pem(o.cert, '--cert'), key: pem(o.key, '--key'), rejectUnauthorized: !o.insecure } : {};
  try {
    const res = await get(url, tls, Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5000);
    if (res.status === 200) {
      console.log(`ready: ${url.href} answered 200`);
      return 0;
    }
    console.log(`not ready: ${url.href} answered ${res.status}${res.body ? ` ${res.body.slice(0, 200)}` : ''}`);
    return 1;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.log(`not ready: ${url.href} did not answer (${err.code ?? err.message})`);
    return 1;
  }
}

function pem(file: string | undefined, option: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${option} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function get(url: URL, tls: object, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', timeout: timeoutMs, ...tls }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
