// `policy-engine validate-config FILE`: checks a daemon configuration file and
// the POLICY_ENGINE_* variables of this environment, as the daemon would at
// start-up. Exit 0 with one OK line (the effective addresses), 1 with every
// problem, 2 when the file cannot be read.

import { formatConfigNote, formatConfigProblem, loadConfig, type ConfigResult } from '../config/index.js';
import { UsageError } from './output.js';

export async function validateConfigCommand(file: string, o: { env: boolean }): Promise<number> {
  const r = await loadConfig(file, { env: o.env ? process.env : {} });
  const unreadable = r.problems.find((p) => p.code === 'file-not-found' || p.code === 'read-error');
  if (unreadable) throw new UsageError(`${unreadable.message}${unreadable.hint ? ` (${unreadable.hint})` : ''}`);

  for (const p of r.problems) console.error(formatConfigProblem(p) + '\n');
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  if (!r.ok) {
    const inEnv = r.problems.some((p) => p.env !== undefined);
    const inFile = r.problems.some((p) => p.env === undefined);
    const where = inEnv ? (inFile ? `${file} and the environment` : 'the environment') : file;
    console.error(`${plural(errors, 'error')}${warnings ? `, ${plural(warnings, 'warning')}` : ''} in ${where}`);
    return 1;
  }
  for (const n of r.notes) console.error(formatConfigNote(n));
  console.log(`OK: ${file}: ${summary(r)}${warnings ? `; ${plural(warnings, 'warning')}` : ''}`);
  return 0;
}

/** `gRPC 0.0.0.0:50051, REST 0.0.0.0:8080, metrics 0.0.0.0:9090/metrics; TLS off; policies from DIR` */
function summary(r: ConfigResult): string {
  const c = r.config;
  const parts = [
    `gRPC ${c.server.listen_address}`,
    c.server.http.enabled ? `REST ${c.server.http.listen_address}` : 'REST off',
    c.metrics.enabled && c.metrics.prometheus.enabled ? `metrics :${c.metrics.prometheus.port}${c.metrics.prometheus.path}` : 'metrics off',
  ];
  const tls = c.server.tls.enabled ? (c.server.tls.client_auth ? 'TLS on, client certificates required' : 'TLS on') : 'TLS off';
  const env = r.fromEnv.length > 0 ? `; from the environment: ${r.fromEnv.map((e) => e.variable).join(', ')}` : '';
  return `${parts.join(', ')}; ${tls}; policies from ${c.registry.local_policy_dir}${env}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
