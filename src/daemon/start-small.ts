// Imported first by the daemon's entry points (a module evaluated for its
// effect): everything they load after it, and the policies they compile,
// allocate in a young generation that stays small (young-generation.ts).

import { keepYoungGenerationSmall } from '../observability/young-generation.js';

keepYoungGenerationSmall();
