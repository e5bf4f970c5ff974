// `host:port` listen addresses from the configuration ("0.0.0.0:50051",
// "[::]:8080", "127.0.0.1:0" for an ephemeral port).

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `key` names the setting in errors (server.listen_address). */
export function parseListenAddress(address: string, key: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new Error(`${key} must be host:port (e.g. 0.0.0.0:8080, [::]:8080, or port 0 for any free port), got '${address}'`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
