// Listen addresses (host:port) as the configuration writes them, and what to
// say when one is malformed.

import { ADDRESS_PATTERN } from './schema.js';

const ADDRESS = new RegExp(ADDRESS_PATTERN);

export function isAddress(value: string): boolean {
  return ADDRESS.test(value);
}

/**
 * Host and port of a valid address; an IPv6 host loses its brackets
 * (`[::]:50051` → `{ host: '::', port: 50051 }`), as net.Server.listen wants it.
 */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port: Number(address.slice(colon + 1)) };
}

/** `address` with its port replaced (or added, when it has none). */
export function withPort(address: string, port: number): string {
  const m = /^(\[[^\]]*\]|[^:]*):[^:]*$/.exec(address);
  if (m) return `${m[1]}:${port}`;
  // No port (a bare host, or an unbracketed IPv6 address): add one.
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** True for the hosts that mean "every interface". */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '' || host === '::0';
}

/** What is wrong with a value that is not host:port, and how to write it; `example` is a valid address. */
export function explainAddress(value: string, example: string): { problem: string; hint: string } {
  const examplePort = splitAddress(example).port;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) {
    const rest = value.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '');
    return { problem: 'is a URL, not an address to listen on', hint: `write host:port without a scheme or path, e.g. ${isAddress(rest) ? rest : example}` };
  }
  if (value.trim() !== value || /\s/.test(value)) return { problem: 'contains spaces', hint: `write host:port, e.g. ${example}` };
  if (value.includes('/')) return { problem: 'has a path', hint: `write host:port only, e.g. ${example}` };
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  let host: string;
  let port: string | undefined;
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
  } else {
    const colons = value.split(':').length - 1;
    if (colons > 1) {
      return { problem: 'looks like an IPv6 address without brackets', hint: `put an IPv6 host in brackets, e.g. [::]:${examplePort}` };
    }
    if (colons === 0) {
      return value === ''
        ? { problem: 'is empty', hint: `write host:port, e.g. ${example}` }
        : /^\d+$/.test(value)
          ? { problem: 'has no host', hint: `write host:port: 0.0.0.0:${value} listens on every interface, 127.0.0.1:${value} on this machine only` }
          : { problem: 'has no port', hint: `write host:port, e.g. ${value}:${examplePort}` };
    }
    [host, port] = value.split(':') as [string, string];
  }
  if (port === undefined || port === '') return { problem: 'has no port after the host', hint: `write host:port, e.g. ${bracketed ? `[${host}]` : host || '0.0.0.0'}:${examplePort}` };
  if (host === '') return { problem: 'has no host', hint: `write host:port: 0.0.0.0:${port} listens on every interface, 127.0.0.1:${port} on this machine only` };
  if (!/^\d+$/.test(port)) return { problem: `has port '${port}', which is not a number`, hint: `ports are whole numbers from 1 to 65535, e.g. ${examplePort}` };
  if (Number(port) < 1 || Number(port) > 65535) return { problem: `has port ${port}, out of range`, hint: 'ports are whole numbers from 1 to 65535' };
  if (/^0\d/.test(port)) return { problem: `has port '${port}' with a leading zero`, hint: `write ${Number(port)}` };
  return { problem: `has host '${host}', which is not a host name or an IP address`, hint: `use letters, digits, '.', '-' (a name or IPv4 address), or an IPv6 address in brackets, e.g. ${example}` };
}
