// The CEL functions over text scans: pii, redact, secrets, injection and
// injection_signals. Each scan runs once per text per evaluation: results are
// kept in Activation.memo, so ten pii(request.prompt) calls (or pii() and
// redact() of the same text) scan once.

import type { Activation } from '../cel/activation.js';
import { CelError } from '../cel/errors.js';
import { type FunctionDecl, globalOverload } from '../cel/library/overload.js';
import { T } from '../cel/types.js';
import { MEMO_KEYS, type ScanFunction, type ScanOptions, capText, memoPrefix, memoTable, noteInMemo, resolveMaxScanLength, stringList } from './common.js';
import { type InjectionResult, analyzeInjection } from './injection.js';
import { PII_KINDS, findPii, piiKinds } from './pii.js';
import { SECRET_KINDS, findSecrets, secretKinds } from './secrets.js';
import { type Finding, replaceFindings, resolveOverlaps } from './text-scan.js';

const PII_SET: ReadonlySet<string> = new Set(PII_KINDS);
const SECRET_SET: ReadonlySet<string> = new Set(SECRET_KINDS);

interface Scanned<R> {
  readonly result: R;
  /** Derived values (kinds lists), computed once. */
  kinds?: readonly string[];
}

/** pii(), redact(), secrets(), injection() and injection_signals(). */
export function scanFunctions(opts: ScanOptions = {}): FunctionDecl[] {
  const max = resolveMaxScanLength(opts);
  const prefix = memoPrefix('scan');

  function memoised<R>(fn: ScanFunction, scan: (text: string) => R): (a: Activation, text: string) => Scanned<R> {
    const key = `${prefix}:${fn}`;
    return (a, text) => {
      const table = memoTable<string, Scanned<R>>(a, key);
      let s = table.get(text);
      if (!s) {
        if (text.length > max) noteInMemo(a, MEMO_KEYS.scanTruncated, fn);
        const capped = capText(text, max);
        opts.onScan?.(fn, capped.length);
        s = { result: scan(capped) };
        table.set(text, s);
      }
      return s;
    };
  }

  const pii = memoised<Finding[]>('pii', findPii);
  const secrets = memoised<Finding[]>('secrets', findSecrets);
  const injection = memoised<InjectionResult>('injection', analyzeInjection);

  const piiList = (a: Activation, text: string): readonly string[] => {
    const s = pii(a, text);
    return (s.kinds ??= piiKinds(s.result));
  };
  const secretList = (a: Activation, text: string): readonly string[] => {
    const s = secrets(a, text);
    return (s.kinds ??= secretKinds(s.result));
  };
  const redactAll = (a: Activation, text: string): string => replaceFindings(text, pii(a, text).result);
  const redactKinds = (a: Activation, text: string, kinds: unknown): string => {
    const wanted = new Set<string>();
    for (const k of stringList('redact', kinds)) {
      const kind = k.toLowerCase();
      if (!PII_SET.has(kind) && !SECRET_SET.has(kind)) {
        throw new CelError(`redact(): unknown kind '${k}'; PII kinds: ${PII_KINDS.join(', ')}; secret kinds: ${SECRET_KINDS.join(', ')}`);
      }
      wanted.add(kind);
    }
    if (wanted.size === 0) return text;
    let found = pii(a, text).result.filter((f) => wanted.has(f.kind));
    if ([...wanted].some((k) => SECRET_SET.has(k))) {
      found = resolveOverlaps([...found, ...secrets(a, text).result.filter((f) => wanted.has(f.kind))]);
    }
    return replaceFindings(text, found);
  };

  const act = { activation: true };
  return [
    {
      name: 'pii',
      doc: `Kinds of personal data in a text (${PII_KINDS.join(', ')}): size(pii(request.prompt)) > 0, 'credit_card' in pii(request.prompt)`,
      overloads: [globalOverload('pii_string', [T.string], T.list(T.string), (a: Activation, s: string) => piiList(a, s), act)],
    },
    {
      name: 'redact',
      doc: "The text with each PII finding (or each finding of the listed PII and secret kinds) replaced by [REDACTED:KIND]: redact(request.prompt, ['email', 'phone'])",
      overloads: [
        globalOverload('redact_string', [T.string], T.string, (a: Activation, s: string) => redactAll(a, s), act),
        globalOverload('redact_string_list', [T.string, T.list(T.string)], T.string, (a: Activation, s: string, k: unknown) => redactKinds(a, s, k), act),
      ],
    },
    {
      name: 'secrets',
      doc: `Kinds of credentials in a text (${SECRET_KINDS.join(', ')}): size(secrets(request.prompt)) > 0`,
      overloads: [globalOverload('secrets_string', [T.string], T.list(T.string), (a: Activation, s: string) => secretList(a, s), act)],
    },
    {
      name: 'injection',
      doc: 'A prompt-injection score in [0, 1] from weighted heuristics: injection(request.prompt) >= 0.5',
      overloads: [globalOverload('injection_string', [T.string], T.double, (a: Activation, s: string) => injection(a, s).result.score, act)],
    },
    {
      name: 'injection_signals',
      doc: "The injection heuristics that fired, for explanations: 'jailbreak' in injection_signals(request.prompt)",
      overloads: [globalOverload('injection_signals_string', [T.string], T.list(T.string), (a: Activation, s: string) => injection(a, s).result.signals, act)],
    },
  ];
}
