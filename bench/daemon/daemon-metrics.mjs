// The daemon's own counts, read from its Prometheus endpoint: the bench checks
// its load generators' figures against them.

import { get } from 'node:http';

/** The text of http://127.0.0.1:port/metrics. */
export function readMetrics(port) {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent: false, timeout: 5000 }, (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (c) => (text += c));
      r.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('metrics: no answer in 5 s')));
  });
}

/** The sum of a metric's samples, of those with `label` (e.g. 'transport="grpc"') when given. */
export function sumMetric(text, name, label) {
  let n = 0;
  for (const l of text.split('\n')) {
    if (!(l.startsWith(`${name}{`) || l.startsWith(`${name} `))) continue;
    if (label && !l.includes(label)) continue;
    n += Number(l.split(' ').pop());
  }
  return n;
}
