import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runAll } from './harness.js';
import { renderConformanceDoc } from './report.js';

const results = runAll();
const files = [...new Set(results.map((r) => r.path.split('/')[0]!))];

describe('CEL conformance (cel-spec v0.25.1)', () => {
  for (const file of files) {
    const ran = results.filter((r) => r.path.startsWith(file + '/') && r.status !== 'proto');
    if (ran.length === 0) continue;
    it(`${file}: every case that needs no protobuf passes (${ran.length} cases)`, () => {
      const failing = ran.filter((r) => r.status === 'fail').map((r) => `${r.path}: ${r.detail}`);
      expect(failing).toEqual([]);
    });
  }

  it('passes at least 97% of the cases that need no protobuf messages', () => {
    const ran = results.filter((r) => r.status !== 'proto');
    const pass = ran.filter((r) => r.status === 'pass').length;
    expect(ran.length).toBeGreaterThan(1500);
    expect(pass / ran.length).toBeGreaterThanOrEqual(0.97);
  });

  it('docs/conformance.md lists every case not run, with its reason, and is current', () => {
    const doc = readFileSync(new URL('../../docs/conformance.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderConformanceDoc(results));
  });
});
