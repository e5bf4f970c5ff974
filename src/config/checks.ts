// Problems no single key has: settings that cannot go together. They run on
// the merged configuration; `isSet` tells which keys the file or environment
// set, so that a problem is reported where the operator wrote something.

import type { Path } from '../policy/locator.js';
import { isAddress, isWildcardHost, splitAddress } from './address.js';
import type { ConfigProblemCode } from './problems.js';
import type { DaemonConfig } from './types.js';

export interface CrossCheckIssue {
  readonly code: ConfigProblemCode;
  /** The key to point at. */
  readonly path: Path;
  readonly message: string;
  readonly hint?: string;
}

interface Listener {
  readonly name: string;
  readonly path: Path;
  readonly host: string;
  readonly port: number;
  readonly shown: string;
}

export function crossCheck(config: DaemonConfig, isSet: (path: Path) => boolean): CrossCheckIssue[] {
  const issues: CrossCheckIssue[] = [];
  const { tls } = config.server;
  if (tls.client_auth && !tls.enabled) {
    issues.push({
      code: 'conflicting-settings',
      path: ['server', 'tls', 'client_auth'],
      message: 'server.tls.client_auth is true but server.tls.enabled is false: client certificates (mTLS) need TLS',
      hint: 'set server.tls.enabled: true (with cert_file and key_file), or remove client_auth',
    });
  }

  const listeners: Listener[] = [];
  const add = (name: string, path: Path, address: string): void => {
    if (!isAddress(address)) return; // reported by the schema
    const { host, port } = splitAddress(address);
    listeners.push({ name, path, host: host.toLowerCase(), port, shown: address });
  };
  add('server.listen_address', ['server', 'listen_address'], config.server.listen_address);
  if (config.server.http.enabled) add('server.http.listen_address', ['server', 'http', 'listen_address'], config.server.http.listen_address);
  if (config.metrics.enabled && config.metrics.prometheus.enabled) {
    // The metrics endpoint has a port only; it listens on every interface.
    add('metrics.prometheus.port', ['metrics', 'prometheus', 'port'], `0.0.0.0:${config.metrics.prometheus.port}`);
  }
  for (let j = 1; j < listeners.length; j++) {
    for (let i = 0; i < j; i++) {
      const a = listeners[i]!;
      const b = listeners[j]!;
      if (a.port !== b.port || !(a.host === b.host || isWildcardHost(a.host) || isWildcardHost(b.host))) continue;
      // Point at the one the operator set (the later one when both are set).
      const [at, other] = isSet(b.path) || !isSet(a.path) ? [b, a] : [a, b];
      issues.push({
        code: 'port-conflict',
        path: at.path,
        message: `${at.name} uses port ${at.port}, which ${other.name} (${other.shown}) uses too: two servers cannot listen on one port`,
        hint: `choose another port for one of them`,
      });
    }
  }
  return issues;
}
