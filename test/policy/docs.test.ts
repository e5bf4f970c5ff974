// The docs are part of the contract: every diagnostic code is documented, and
// every complete example document in the language reference loads cleanly.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DIAGNOSTIC_CODES, formatDiagnostic, loadPolicyText } from '../../src/policy/index.js';
import { ROOT } from './helpers.js';

const errorsDoc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
const languageDoc = readFileSync(join(ROOT, 'docs', 'policy-language.md'), 'utf8');

describe('docs/errors.md', () => {
  test('documents every code of the catalogue, and no other, with its severity', () => {
    const documented = [...errorsDoc.matchAll(/^### `([a-z0-9-]+)`\n\n(error|warning) —/gm)].map((m) => [m[1], m[2]]);
    const catalogue = Object.entries(DIAGNOSTIC_CODES).map(([code, info]) => [code, info.severity]);
    expect(documented.sort()).toEqual(catalogue.sort());
  });
});

describe('docs/policy-language.md', () => {
  test('has the Documents and Expressions sections', () => {
    expect(languageDoc).toMatch(/^## Documents$/m);
    // The Expressions section was a "(to be written)" placeholder; it is written now.
    expect(languageDoc).toMatch(/^## Expressions$/m);
    expect(languageDoc).not.toContain('(to be written)');
  });

  test('every complete example document loads without diagnostics', () => {
    const examples = [...languageDoc.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1])
      .filter((text) => text.startsWith('apiVersion: policy.llm/v1') && !text.includes('...'));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const text of examples) {
      const { documents, diagnostics } = loadPolicyText(text, 'example.yaml');
      expect(diagnostics.map(formatDiagnostic)).toEqual([]);
      expect(documents).toHaveLength(1);
    }
  });

  test('the quoting examples mean what the text says', () => {
    const block = /```yaml\n(when: "!\('admin'[\s\S]*?)```/.exec(languageDoc)?.[1];
    expect(block).toBeDefined();
    const values = parse(block ?? '') as Record<string, string>;
    expect(values.when).toBe("!('admin' in user.roles)");
    expect(values.unless).toBe("'finance.override' in user.permissions");
    expect(values.target).toBe("request.environment == 'production' &&\n!(user.id in ['svc-batch', 'svc-eval'])\n");
  });
});
