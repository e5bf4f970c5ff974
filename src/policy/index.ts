// The policy-document layer: types, loading with positions, diagnostics.

export * from './types.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode, type CodeInfo } from './codes.js';
export { formatDiagnostic, compareDiagnostics, sortDiagnostics, hasErrors } from './diagnostic.js';
export { parseDuration, DurationError } from './duration.js';
export { loadPolicySources, loadPolicyText, type LoadResult, type SourcesLoadResult } from './load.js';
export { discoverPolicyFiles } from './files.js';
export { DEFAULT_NAMESPACE, DEFAULT_SEVERITY } from './build-policy.js';
export { documentHash, canonicalJson } from './hash.js';
