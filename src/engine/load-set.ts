// Sources → compiled policy set, collecting every diagnostic. Shared by the
// engine (build/reload) and the CLI (validate).

import type { FunctionDecl } from '../cel/library/overload.js';
import { sortDiagnostics } from '../policy/diagnostic.js';
import { loadPolicySources, loadPolicyText } from '../policy/load.js';
import type { Diagnostic, Document } from '../policy/types.js';
import { type CompilationCache, type CompiledPolicySet, compilePolicySet } from './policy-set.js';

export type PolicySource = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'text'; readonly text: string; readonly name: string };

export interface LoadedSet {
  readonly set?: CompiledPolicySet;
  readonly documents: readonly Document[];
  readonly diagnostics: readonly Diagnostic[];
  readonly files: readonly string[];
}

export async function loadAndCompile(sources: readonly PolicySource[], opts: { builtins?: readonly FunctionDecl[]; functions?: readonly FunctionDecl[]; cache?: CompilationCache } = {}): Promise<LoadedSet> {
  const documents: Document[] = [];
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const paths = sources.filter((s): s is Extract<PolicySource, { kind: 'path' }> => s.kind === 'path').map((s) => s.path);
  if (paths.length) {
    const r = await loadPolicySources(paths);
    documents.push(...r.documents);
    diagnostics.push(...r.diagnostics);
    files.push(...r.files);
  }
  for (const s of sources) {
    if (s.kind !== 'text') continue;
    const r = loadPolicyText(s.text, s.name);
    documents.push(...r.documents);
    diagnostics.push(...r.diagnostics);
    files.push(s.name);
  }
  const loadFailed = diagnostics.some((d) => d.severity === 'error');
  if (!documents.some((d) => d.kind === 'Policy')) {
    if (loadFailed) return { documents, diagnostics: sortDiagnostics(diagnostics), files };
    diagnostics.push({
      severity: 'error',
      code: 'no-policies',
      message: `no Policy documents found in ${paths.length ? paths.join(', ') : 'the given sources'}`,
      hint: 'policy files are .yaml, .yml or .json files holding documents with `kind: Policy`',
      pos: { file: paths[0] ?? '<inline>', line: 1, column: 1 },
    });
    return { documents, diagnostics, files };
  }
  // Documents that loaded are compiled even when others failed to load, so one run reports
  // every problem (a CEL error in one file is not hidden by a YAML error in another); the
  // set is only used when everything loaded.
  const r = compilePolicySet(documents, { builtins: opts.builtins, functions: opts.functions, cache: opts.cache });
  diagnostics.push(...r.diagnostics);
  return { set: loadFailed ? undefined : r.set, documents, diagnostics: sortDiagnostics(diagnostics), files };
}
