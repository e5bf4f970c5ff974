// `policy-engine validate PATH...`: compile everything, report every problem.

import { loadAndCompile } from '../engine/load-set.js';
import { formatForCli } from './output.js';

export async function validateCommand(paths: string[]): Promise<number> {
  const r = await loadAndCompile(paths.map((path) => ({ kind: 'path' as const, path })));
  const diagnostics = r.diagnostics;
  for (const d of diagnostics) console.error(formatForCli(d) + '\n');
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (!r.set || errors) {
    console.error(`${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''} in ${r.files.length} file${r.files.length === 1 ? '' : 's'}`);
    return 1;
  }
  const tests = r.documents.filter((d) => d.kind === 'PolicyTest').length;
  console.log(
    `OK: ${r.set.policies.length} polic${r.set.policies.length === 1 ? 'y' : 'ies'}, ${r.set.ruleCount} rule${r.set.ruleCount === 1 ? '' : 's'}${tests ? `, ${tests} test suite${tests === 1 ? '' : 's'}` : ''} in ${r.files.length} file${r.files.length === 1 ? '' : 's'} (revision ${r.set.revision})${warnings ? `; ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}`,
  );
  return 0;
}
