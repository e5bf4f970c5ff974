// The functions policies get on top of the CEL standard library and extensions.

import type { FunctionDecl } from '../cel/library/overload.js';
import { timeFunctions } from './time.js';

export function policyFunctions(): FunctionDecl[] {
  return [...timeFunctions()];
}
