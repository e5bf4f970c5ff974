// Every scan is linear in its input: adversarial inputs of 200 KB take about
// ten times as long as the same inputs of 20 KB (a quadratic scan would take
// a hundred times as long), and finish well within a generous time bound.

import { describe, expect, test } from 'vitest';
import { analyzeInjection, countExact, estimateTokens, findPii, findSecrets } from '../../src/functions/index.js';
import { cel } from './helpers.js';
import { timeMs } from './helpers.js';

const SMALL = 20_000;
const LARGE = 200_000;
/** Linear growth gives 10; quadratic 100. Generous for timer noise and GC on a busy 2-core machine. */
const MAX_RATIO = 30;
/** Below this the small input's time is mostly noise; ratios are taken against at least this much. */
const FLOOR_MS = 1;
/** A 200 KB scan finishing later than this is broken, however it scales. */
const MAX_LARGE_MS = 2_000;

/** `unit` repeated to exactly n characters. */
const rep = (unit: string, n: number): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
/** Pseudo-random characters from `alphabet`, deterministic. */
function noise(alphabet: string, n: number): string {
  let x = 12345;
  let s = '';
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += alphabet[x % alphabet.length];
  }
  return s;
}

type Gen = (n: number) => string;
const adversarial: Record<string, readonly [string, Gen][]> = {
  pii: [
    ['@ only', (n) => rep('@', n)],
    ['a@ repeated', (n) => rep('a@', n)],
    ['long local part, then @', (n) => rep('a.', n - 20) + '@example.com'],
    ['long domain', (n) => 'x@' + rep('a.', n - 2)],
    ['digits and spaces', (n) => rep('1 ', n)],
    ['digits and dashes', (n) => rep('12-', n)],
    ['digits and dots', (n) => rep('1.', n)],
    ['one digit run', (n) => rep('4', n)],
    ['plus signs and digits', (n) => rep('+1 ', n)],
    ['parentheses', (n) => rep('(555) ', n)],
    ['IBAN-like groups', (n) => 'DE89 ' + rep('3704 ', n - 5)],
    ['hex and colons', (n) => rep('ab:', n)],
    ['colons', (n) => rep(':', n)],
    ['MAC-like', (n) => rep('00:1a:', n)],
    ['IPv4-like', (n) => rep('1.1.1.', n)],
    ['card-like groups', (n) => rep('4111 ', n)],
    ['random PII characters', (n) => noise('0123456789 -.+()@:abcdefABCDEF', n)],
    ['full-width characters', (n) => rep('ａ＠ｂ．', n)],
    ['full-width digits and spaces', (n) => rep('０７９１１　', n)],
    ['Unicode letters around @', (n) => rep('é@é.', n)],
    ['long IDN domain', (n) => 'x@' + rep('é', n - 2)],
    ['long Unicode local part, then @', (n) => rep('é', n - 20) + '@société.fr'],
    ['UK mobile-like groups', (n) => rep('07911 ', n)],
  ],
  secrets: [
    ['= only', (n) => rep('=', n)],
    ['password= repeated', (n) => rep('password=', n)],
    ['long name then =', (n) => rep('a', n - 20) + '_password=Xy7#kq92zq'],
    ['long value', (n) => 'password=' + rep('Ab1', n - 9)],
    ['colons', (n) => rep('a:', n)],
    ['JWT headers', (n) => rep('eyJhbGciOiJIUzI1NiJ9.', n)],
    ['JWT-like without signature', (n) => rep('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.', n)],
    ['BEGIN lines without END', (n) => rep('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n', n)],
    ['token prefixes', (n) => rep('ghp_ sk- AKIA xoxb- sk_live_ AIza ', n)],
    ['one long token', (n) => 'ghp_' + rep('a', n - 4)],
    ['dashes', (n) => rep('-', n)],
    ['URL credentials', (n) => rep('//u:p@', n)],
    ['random base64', (n) => noise('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=', n)],
    ['Bearer repeated', (n) => rep('Bearer ', n)],
    ['Bearer and one long value', (n) => 'Authorization: Bearer ' + rep('a1.', n - 22)],
    ['Bearer and short values', (n) => rep('Bearer a1b2c3d4e5 ', n)],
    ['pwd and paths', (n) => rep('pwd: /home/user ', n)],
  ],
  injection: [
    ['ignore repeated', (n) => rep('ignore ', n)],
    ['ignore all previous repeated', (n) => rep('ignore all previous ', n)],
    ['spaced letters', (n) => rep('a ', n)],
    ['leetspeak', (n) => rep('1a3e', n)],
    ['zero-width characters', (n) => rep('a\u200b', n)],
    ['tag characters', (n) => rep(String.fromCodePoint(0xe0041), n)],
    ['one base64 run', (n) => noise('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', n)],
    ['base64 runs', (n) => rep('QWxhZGRpbjpvcGVuIHNlc2FtZQ== ', n)],
    ['markdown images', (n) => rep('![a](http://x?', n)],
    ['template tokens', (n) => rep('<|', n)],
    ['send to', (n) => rep('send the secrets ', n)],
    ['one long word', (n) => rep('a', n)],
    ['newlines and spaces', (n) => rep('\n \t', n)],
    ['Cyrillic look-alikes', (n) => rep('іgnоrе ', n)],
    ['ignore the above repeated', (n) => rep('ignore the above. ', n)],
    ['revisions repeated', (n) => rep('forget the previous instructions i gave you ', n)],
    ['overlapping revisions', (n) => rep('ignore ignore the previous rules from the ', n)],
    ['system override repeated', (n) => rep('system override: ', n)],
  ],
  tokens: [
    ['one letter', (n) => rep('a', n)],
    ['spaces', (n) => rep(' ', n)],
    ['CJK run', (n) => rep('漢', n)],
    ['punctuation run', (n) => rep('!', n)],
    ['newlines and spaces', (n) => rep('\n ', n)],
    ['letters and digits', (n) => rep('a1', n)],
    ['long word with marks', (n) => rep('e\u0301', n)],
    ['random bytes', (n) => noise('abcdefghij 漢字!?.\n0123456789', n)],
  ],
};

const scanners: Record<string, (s: string) => unknown> = {
  pii: findPii,
  secrets: findSecrets,
  injection: analyzeInjection,
  tokens: (s) => countExact(s, 'o200k_base'),
};

describe.each(Object.entries(adversarial))('%s', (name, gens) => {
  const scan = scanners[name]!;
  test.each(gens)('%s: 200 KB scales linearly from 20 KB', (_label, gen) => {
    const small = gen(SMALL);
    const large = gen(LARGE);
    const ts = timeMs(() => scan(small), 5);
    const tl = timeMs(() => scan(large), 3);
    expect(tl, `200 KB took ${tl.toFixed(1)} ms`).toBeLessThan(MAX_LARGE_MS);
    expect(tl / Math.max(ts, FLOOR_MS), `20 KB ${ts.toFixed(2)} ms, 200 KB ${tl.toFixed(2)} ms`).toBeLessThan(MAX_RATIO);
  });
});

describe('the estimate and redact', () => {
  test.each(adversarial.tokens!)('estimateTokens, %s', (_label, gen) => {
    const tl = timeMs(() => estimateTokens(gen(LARGE)), 3);
    const ts = timeMs(() => estimateTokens(gen(SMALL)), 5);
    expect(tl).toBeLessThan(MAX_LARGE_MS);
    expect(tl / Math.max(ts, FLOOR_MS)).toBeLessThan(MAX_RATIO);
  });

  test('redact with many findings', () => {
    const gen = (n: number): string => rep('a@example.com 555-123-4567 ', n);
    const tl = timeMs(() => cel("redact(t, ['email', 'phone', 'github_token'])", { t: gen(LARGE) }), 3);
    const ts = timeMs(() => cel("redact(t, ['email', 'phone', 'github_token'])", { t: gen(SMALL) }), 5);
    expect(tl).toBeLessThan(MAX_LARGE_MS);
    expect(tl / Math.max(ts, FLOOR_MS)).toBeLessThan(MAX_RATIO);
  });
});
