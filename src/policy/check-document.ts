// One parsed document through every check: kind and apiVersion, the JSON
// Schema, the semantic checks; then, if nothing is wrong, the typed document.

import { buildPolicy, DEFAULT_NAMESPACE } from './build-policy.js';
import { buildPolicySet } from './build-policy-set.js';
import { buildPolicyTest } from './build-policy-test.js';
import type { DocumentIdentity } from './cross-checks.js';
import { describeValue, shown } from './describe.js';
import { hasErrors, makeDiagnostic } from './diagnostic.js';
import { documentHash } from './hash.js';
import { Locator, type Path } from './locator.js';
import type { RawPolicy, RawPolicySet, RawPolicyTest } from './raw.js';
import { DOCUMENT_KINDS, type DocumentKind, policySchema } from './schema.js';
import { translateSchemaErrors } from './schema-errors.js';
import { checkPolicy, checkPolicyTest } from './semantic-checks.js';
import { didYouMean } from './suggest.js';
import { API_VERSION, type Diagnostic, type Document } from './types.js';
import { isRecord, valueAt } from './values.js';
import { isJsonFile, type DocumentRoot } from './yaml-parse.js';

export interface CheckedDocument {
  /** For the cross-document checks; absent when the document has no usable kind. */
  readonly identity?: DocumentIdentity;
  /** Present only when the document has no errors. */
  readonly document?: Document;
  readonly diagnostics: Diagnostic[];
}

export function checkDocument(root: DocumentRoot): CheckedDocument {
  const loc = new Locator(root);
  const value = root.value;
  if (!isRecord(value)) {
    const severalInYaml = Array.isArray(value) && !isJsonFile(root.src.file);
    return {
      diagnostics: [
        makeDiagnostic({
          code: 'invalid-document',
          message: `a document must be a mapping with apiVersion, kind, metadata and spec; got ${describeValue(value)}`,
          hint: severalInYaml ? "to put several documents in one YAML file, separate them with a '---' line" : undefined,
          ...loc.valueSpan([]),
        }),
      ],
    };
  }

  const kind = value.kind;
  if (typeof kind !== 'string' || !(DOCUMENT_KINDS as readonly string[]).includes(kind)) {
    return { diagnostics: [...kindProblem(kind, loc), ...apiVersionProblem(value.apiVersion, loc)] };
  }
  const k = kind as DocumentKind;
  const schema = policySchema();
  const policy = k === 'Policy' ? stringAt(value, ['metadata', 'name']) : undefined;
  const context = (path: Path): { policy?: string; rule?: string } => {
    const rule = path[0] === 'spec' && path[1] === 'rules' && typeof path[2] === 'number' ? stringAt(value, ['spec', 'rules', path[2], 'id']) : undefined;
    return { ...(policy === undefined ? {} : { policy }), ...(rule === undefined ? {} : { rule }) };
  };
  const diagnostics = translateSchemaErrors(schema.validate(k, value), value, loc, schema, context);
  switch (k) {
    case 'Policy':
      diagnostics.push(...checkPolicy(value, loc));
      break;
    case 'PolicySet':
      // context_schema stays data here: the engine interprets its JSON Schema subset and reports on it.
      break;
    case 'PolicyTest':
      diagnostics.push(...checkPolicyTest(value, loc));
      break;
    default:
      k satisfies never;
  }

  const namespace = stringAt(value, ['metadata', 'namespace']) ?? DEFAULT_NAMESPACE;
  const name = stringAt(value, ['metadata', 'name']);
  const identity: DocumentIdentity = {
    kind: k,
    namespace,
    span: loc.valueSpan(['metadata', 'name']),
    ...(name === undefined ? {} : { name }),
  };
  if (hasErrors(diagnostics)) return { identity, diagnostics };
  return { identity, diagnostics, document: build(k, value, loc) };
}

function build(kind: DocumentKind, value: Record<string, unknown>, loc: Locator): Document {
  switch (kind) {
    case 'Policy':
      return buildPolicy(value as unknown as RawPolicy, loc, documentHash(value));
    case 'PolicySet':
      return buildPolicySet(value as unknown as RawPolicySet, loc);
    case 'PolicyTest':
      return buildPolicyTest(value as unknown as RawPolicyTest, loc);
    default:
      return kind satisfies never;
  }
}

function kindProblem(kind: unknown, loc: Locator): Diagnostic[] {
  if (kind === undefined) {
    return [
      makeDiagnostic({
        code: 'missing-key',
        message: "the document is missing required key 'kind'",
        hint: `add 'kind:' with one of ${DOCUMENT_KINDS.join(', ')}`,
        ...loc.valueSpan([]),
      }),
    ];
  }
  const guess = typeof kind === 'string' ? didYouMean(kind, DOCUMENT_KINDS) : '';
  return [
    makeDiagnostic({
      code: 'unknown-kind',
      message: `unknown kind ${shown(kind)}`,
      hint: `${guess}kinds are ${DOCUMENT_KINDS.join(', ')}`,
      ...loc.valueSpan(['kind']),
    }),
  ];
}

/** Checked here only for documents whose kind is unusable; otherwise the schema checks it. */
function apiVersionProblem(apiVersion: unknown, loc: Locator): Diagnostic[] {
  if (apiVersion === API_VERSION) return [];
  if (apiVersion === undefined) {
    return [
      makeDiagnostic({
        code: 'missing-key',
        message: "the document is missing required key 'apiVersion'",
        hint: `add 'apiVersion: ${API_VERSION}'`,
        ...loc.valueSpan([]),
      }),
    ];
  }
  return [
    makeDiagnostic({
      code: 'unknown-api-version',
      message: `unknown apiVersion ${shown(apiVersion)}`,
      hint: `this engine reads 'apiVersion: ${API_VERSION}'`,
      ...loc.valueSpan(['apiVersion']),
    }),
  ];
}

function stringAt(value: unknown, path: Path): string | undefined {
  const v = valueAt(value, path);
  return typeof v === 'string' ? v : undefined;
}
