// Every kind of error, with its code, position, message and hint, compared to
// golden files (test/policy/golden/<fixture>.txt). After a deliberate change
// to the wording, regenerate them with:
//   UPDATE_GOLDEN=1 npx vitest run test/policy
// and review the diff.

import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DIAGNOSTIC_CODES, formatDiagnostic, loadPolicySources } from '../../src/policy/index.js';
import type { Document } from '../../src/policy/types.js';
import { expectGolden, fixture, GOLDEN, ROOT } from './helpers.js';

const INVALID = fixture('invalid');
const cases = readdirSync(INVALID).sort();

/**
 * Codes no fixture here produces: the file-system ones are tested in files.test.ts;
 * schema-violation is the fallback for a schema keyword the translator does not
 * know, and every keyword the schema uses today has its own code.
 */
const NOT_FROM_FIXTURES = new Set(['file-not-found', 'read-error', 'empty-directory', 'schema-violation']);

function summary(documents: readonly Document[]): string {
  const names = documents.map((d) => `${d.kind}/${d.kind === 'Policy' ? d.metadata.name : d.name}`);
  return `# documents returned: ${names.length === 0 ? 'none' : names.join(', ')}`;
}

describe('golden diagnostics', () => {
  const seen = new Set<string>();

  test.each(cases)('%s', async (name) => {
    const { documents, diagnostics } = await loadPolicySources([`${INVALID}/${name}`]);
    for (const d of diagnostics) seen.add(d.code);
    const text = [summary(documents), ...diagnostics.map(formatDiagnostic)].join('\n\n').replaceAll(`${ROOT}/`, '');
    expectGolden(name.replace(/\.(ya?ml|json)$/, ''), text);
  });

  test('every golden file belongs to a fixture', () => {
    const expected = cases.map((name) => `${name.replace(/\.(ya?ml|json)$/, '')}.txt`).sort();
    expect(readdirSync(GOLDEN).sort()).toEqual(expected);
  });

  test('every code in the catalogue is produced by some fixture', () => {
    const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !seen.has(c) && !NOT_FROM_FIXTURES.has(c));
    expect(missing).toEqual([]);
  });
});
