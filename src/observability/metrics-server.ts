// The Prometheus endpoint on its own port (9090 by default), on plain
// node:http: it serves one path to one client, so it needs no framework and
// stays apart from the API server's limits, TLS and request logging.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is in the result. */
  readonly port: number;
  readonly path: string;
  /** Default: the Prometheus text format 0.0.4. */
  readonly contentType?: string;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends open (keep-alive) connections, so shutdown is not held up by a scraper. */
  close(): Promise<void>;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** GET (or HEAD) `path` → 200 with getText(); other paths 404; other methods 405; getText failing → 500. */
export async function startMetricsServer(o: MetricsServerOptions, getText: () => Promise<string>): Promise<MetricsServer> {
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    if (path !== o.path) return reply(res, 404, 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(res, 405, 'method not allowed\n');
    }
    try {
      const text = await getText();
      reply(res, 200, req.method === 'HEAD' ? '' : text, o.contentType ?? PROMETHEUS_TEXT);
    } catch (e) {
      reply(res, 500, `metrics unavailable: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.end(body);
}
