// A validated PolicySet document → PolicySetDoc with defaults applied.

import type { Locator } from './locator.js';
import type { RawPolicySet } from './raw.js';
import type { PolicySetDoc } from './types.js';

export function buildPolicySet(raw: RawPolicySet, loc: Locator): PolicySetDoc {
  const spec = raw.spec ?? {};
  return {
    kind: 'PolicySet',
    file: loc.file,
    pos: loc.pos([]),
    name: raw.metadata.name,
    defaultDecision: spec.default_decision ?? 'allow',
    ...(spec.context_schema === undefined
      ? {}
      : { contextSchema: spec.context_schema, contextSchemaPos: loc.pos(['spec', 'context_schema']) }),
    schemaViolation: spec.schema_violation ?? 'warn',
    variables: spec.variables ?? [],
    numericPromotion: spec.numeric_promotion ?? true,
  };
}
