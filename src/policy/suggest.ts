// "Did you mean ...?" for misspelt keys and values.

/**
 * Words people reach for from other policy languages (Cerbos, OPA, IAM, Kubernetes)
 * that edit distance cannot connect to ours.
 */
const SYNONYMS: Readonly<Record<string, string>> = {
  condition: 'when',
  conditions: 'when',
  if: 'when',
  match: 'when',
  except: 'unless',
  effect: 'decision',
  action: 'decision',
  outcome: 'decision',
  message: 'reason',
  msg: 'reason',
  name: 'id',
  lets: 'let',
  variables: 'let',
  vars: 'let',
  rule: 'rules',
  tests: 'cases',
  input: 'context',
  expected: 'expect',
  expectation: 'expect',
  block: 'deny',
  reject: 'deny',
  forbid: 'deny',
  permit: 'allow',
  accept: 'allow',
  ratelimit: 'throttle',
  limit: 'throttle',
  mutate: 'modify',
  warning: 'warn',
  audit: 'shadow',
  dryrun: 'shadow',
  enforcing: 'enforce',
};

/** The closest candidate to `word`, or undefined when none is close enough to be a plausible typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const norm = normalize(word);
  const synonym = SYNONYMS[norm];
  if (synonym !== undefined && candidates.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    // Case and separators are the commonest slips (failOpen, retry-after), so compare without them.
    const d = editDistance(norm, normalize(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(word.length, 3) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** "did you mean 'when'? " or "" */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `did you mean '${c}'? `;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[(i - 2) * cols + j - 2] + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1];
}

function normalize(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}
