// CEL extension libraries enabled in every environment: math, strings,
// encoders (the cel-go "ext" packages), each in its own module.

import { encodersLibrary } from './encoders.js';
import { mathLibrary } from './math.js';
import type { FunctionDecl } from './overload.js';
import { stringsLibrary } from './strings.js';

export function extensionLibraries(): FunctionDecl[] {
  return [...mathLibrary(), ...stringsLibrary(), ...encodersLibrary()];
}
