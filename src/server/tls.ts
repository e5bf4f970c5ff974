// server.tls: the certificate files, read once at start-up, for both ports.

import { readFileSync } from 'node:fs';
import type { ServerConfig } from '../config/types.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Trusted issuers of client certificates; absent: the system's CAs. */
  readonly ca?: Buffer;
  /** mTLS: refuse clients without a certificate from `ca`. */
  readonly clientAuth: boolean;
}

function read(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`server.tls.${key}: cannot read '${path}': ${(e as Error).message}`);
  }
}

export function loadTls(tls: ServerConfig['tls']): TlsMaterial | undefined {
  if (!tls.enabled) return undefined;
  return {
    cert: read(tls.cert_file, 'cert_file'),
    key: read(tls.key_file, 'key_file'),
    ...(tls.ca_file ? { ca: read(tls.ca_file, 'ca_file') } : {}),
    clientAuth: tls.client_auth,
  };
}
