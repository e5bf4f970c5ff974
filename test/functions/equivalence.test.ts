// The scanners' results on 2,000 awkward texts (scan-corpus.ts: findings and near
// misses of every kind, trigger characters, look-alike letters, invisible
// characters, base64, noise), compared with results recorded in
// fixtures/scan-equivalence.json. The recording was made with the scanners as
// they were before they were tuned for speed, so this test holds every later
// optimisation to the same answers, finding by finding.
//
// When a change of detection is intended (and covered by its own tests), record
// the new results with
//   UPDATE_SCAN_EQUIVALENCE=1 npx vitest run test/functions/equivalence.test.ts
// and review the diff of the fixture.

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { analyzeInjection, countExact, findPii, findSecrets } from '../../src/functions/index.js';
import type { Finding } from '../../src/functions/text-scan.js';
import { scanCorpus } from './scan-corpus.js';

type Row = [pii: string, secrets: string, injection: string, tokens: number];

const FIXTURE = new URL('./fixtures/scan-equivalence.json', import.meta.url);
const COUNT = 2000;
const texts = scanCorpus(COUNT);

const fmt = (fs: readonly Finding[]): string => fs.map((f) => `${f.kind}:${f.start}-${f.end}`).join(' ');
const columns = {
  pii: (t: string): string => fmt(findPii(t)),
  secrets: (t: string): string => fmt(findSecrets(t)),
  injection: (t: string): string => {
    const r = analyzeInjection(t);
    return `${r.score} ${r.signals.join(' ')}`.trim();
  },
  tokens: (t: string): number => countExact(t, 'o200k_base'),
};
const row = (t: string): Row => [columns.pii(t), columns.secrets(t), columns.injection(t), columns.tokens(t)];

if (process.env.UPDATE_SCAN_EQUIVALENCE) {
  const results = texts.map(row);
  writeFileSync(FIXTURE, `${JSON.stringify({ count: COUNT, results }).replace(/\],\[/g, '],\n[')}\n`);
}

const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { count: number; results: Row[] };

describe('the scanners give the recorded results on the corpus', () => {
  test('the corpus is the one recorded', () => {
    expect(recorded.count).toBe(COUNT);
    expect(recorded.results).toHaveLength(COUNT);
    // The corpus exercises every scanner: most texts have findings.
    expect(recorded.results.filter((r) => r[0] !== '').length).toBeGreaterThan(COUNT / 4);
    expect(recorded.results.filter((r) => r[1] !== '').length).toBeGreaterThan(COUNT / 4);
    expect(recorded.results.filter((r) => r[2] !== '0').length).toBeGreaterThan(COUNT / 4);
  });

  test.each(Object.entries(columns).map(([name, scan], k) => [name, scan, k] as const))('%s', (_name, scan, k) => {
    const wrong: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const got = scan(texts[i]!);
      const want = recorded.results[i]![k];
      if (got !== want && wrong.length < 5) wrong.push(`#${i} ${JSON.stringify(texts[i])}\n  recorded: ${want}\n  now:      ${got}`);
    }
    expect(wrong.join('\n')).toBe('');
  });
});
