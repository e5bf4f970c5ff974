// The catalogue of diagnostic codes the policy loader emits. Codes are stable:
// users search for them, CI scripts match on them, and docs/errors.md documents
// each one (a test keeps the two in step). The severity of a code is fixed, so a
// given code always means the same thing to a reader.

export interface CodeInfo {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
}

export const DIAGNOSTIC_CODES = {
  // Files and YAML
  'file-not-found': { severity: 'error', summary: 'A path given to the loader does not exist.' },
  'read-error': { severity: 'error', summary: 'A policy file or directory could not be read.' },
  'empty-directory': { severity: 'warning', summary: 'A directory holds no .yaml, .yml or .json files.' },
  'empty-file': { severity: 'warning', summary: 'A file holds no documents.' },
  'yaml-syntax': { severity: 'error', summary: 'The file is not valid YAML.' },
  'json-syntax': { severity: 'error', summary: 'A .json file is not valid JSON.' },
  'duplicate-key': { severity: 'error', summary: 'A mapping has the same key twice.' },
  'yaml-alias': { severity: 'error', summary: 'An alias (*name) refers to no anchor, or aliases expand too much.' },
  'yaml-warning': { severity: 'warning', summary: 'The YAML parser warns about something, e.g. an unknown tag.' },
  // Document structure
  'invalid-document': { severity: 'error', summary: 'A document is not a mapping.' },
  'unknown-kind': { severity: 'error', summary: '`kind` is not Policy, PolicySet or PolicyTest.' },
  'unknown-api-version': { severity: 'error', summary: '`apiVersion` is not policy.llm/v1.' },
  'unknown-key': { severity: 'error', summary: 'A key that the document format does not have.' },
  'missing-key': { severity: 'error', summary: 'A required key is absent.' },
  'invalid-type': { severity: 'error', summary: 'A value has the wrong type.' },
  'invalid-value': { severity: 'error', summary: 'A value is out of range, empty, or not one of the allowed values.' },
  'duplicate-value': { severity: 'error', summary: 'A list that must not repeat items repeats one.' },
  'invalid-name': { severity: 'error', summary: 'A policy, namespace or document name has characters names cannot have.' },
  'invalid-rule-id': { severity: 'error', summary: 'A rule id has characters rule ids cannot have.' },
  'invalid-rule-ref': { severity: 'error', summary: 'A `policy/rule` reference in a test is malformed.' },
  'invalid-identifier': { severity: 'error', summary: 'A `let` name or variable is not a CEL identifier, or is a reserved word.' },
  'invalid-path': { severity: 'error', summary: 'A modify path is not a dotted path under `request.`.' },
  'invalid-duration': { severity: 'error', summary: 'A duration such as `retry_after` cannot be parsed.' },
  'invalid-timestamp': { severity: 'error', summary: 'A `now` time is not a valid RFC 3339 timestamp.' },
  'invalid-modify-op': { severity: 'error', summary: 'A modify item does not have exactly one well-formed operation.' },
  'schema-violation': { severity: 'error', summary: 'Any other violation of schema/policy.schema.json.' },
  // Meaning
  'duplicate-rule-id': { severity: 'error', summary: 'Two rules of one policy have the same id.' },
  'duplicate-policy-name': { severity: 'error', summary: 'Two policies have the same name in the same namespace.' },
  'duplicate-policy-set': { severity: 'error', summary: 'More than one PolicySet is loaded.' },
  'duplicate-test-case': { severity: 'error', summary: 'Two cases of one PolicyTest have the same name.' },
  'retry-after-not-throttle': { severity: 'error', summary: '`retry_after` on a rule whose decision is not throttle.' },
  'modify-not-allowed': { severity: 'error', summary: '`modify` operations on a rule whose decision is not modify.' },
  'modify-without-ops': { severity: 'warning', summary: 'A rule with decision modify has no `modify` operations.' },
  // Limits and budgets
  'limit-and-budget': { severity: 'error', summary: 'A rule has both `limit` and `budget`.' },
  'stateful-decision': { severity: 'error', summary: 'A `limit` or `budget` rule decides something other than throttle or deny.' },
  'stateful-retry-after': { severity: 'error', summary: '`retry_after` on a `limit` or `budget` rule, whose retry time is computed.' },
  'invalid-timezone': { severity: 'error', summary: 'A budget `timezone` is not an IANA time zone.' },
  'timezone-without-calendar': { severity: 'error', summary: 'A budget `timezone` with a rolling period, where it means nothing.' },
  'clamp-needs-usage': { severity: 'error', summary: 'A budget with `on_exceed: clamp` has `amount` instead of `usage`.' },
  'invalid-limit': { severity: 'error', summary: 'A limit without `requests` or `cost` + `max`, or a budget without `amount` or `usage` (or with both).' },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
