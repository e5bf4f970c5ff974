// Time helpers for policies. now() is read once per evaluation (every call
// in one evaluation agrees) and can be fixed with `evaluate(ctx, { now })`.
// It is impure: a policy set that calls it is never served from the
// decision cache.

import { globalOverload, type FunctionDecl } from '../cel/library/overload.js';
import type { Activation } from '../cel/activation.js';
import { T } from '../cel/types.js';

export function timeFunctions(): FunctionDecl[] {
  return [
    {
      name: 'now',
      doc: 'The time of the evaluation, as a timestamp: now().getHours("Europe/Paris") < 8',
      overloads: [globalOverload('now', [], T.timestamp, (a: Activation) => a.now(), { pure: false, activation: true })],
    },
  ];
}
