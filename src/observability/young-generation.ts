// Keeps V8's young generation small while the daemon starts.
//
// V8 doubles the young generation (the "new space", where objects are
// allocated) each time it fills quickly, up to 2 x 16 MB on a 64-bit Node.
// Starting the daemon — loading grpc-js, Fastify and pino, parsing the proto,
// compiling the policies — allocates enough to grow it to the full 32 MB in
// the first second, and an idle process keeps those pages until V8 notices the
// low allocation rate, about 7 s later (idle-memory.ts then gives them back).
// That put a freshly started daemon at ~105 MB RSS; the guide's budget is
// 100 MB. With a growth factor of 1 the young generation stays at its initial
// size during start-up (a few more, cheap, scavenges; start-up time does not
// change measurably), and once the daemon is up the factor goes back to V8's
// default (2) so that under load the young generation grows as usual: a large
// one is what keeps scavenges rare at tens of thousands of requests a second.
//
// If the operator started node with --semi-space-growth-factor, their value
// stands and nothing here changes it (Node does not take V8 flags like this
// one in NODE_OPTIONS, so the command line is the only place to look).

import { setFlagsFromString } from 'node:v8';
import { collectAllGarbage } from './idle-memory.js';

const FLAG = '--semi-space-growth-factor';
/** V8's default (V8 11, Node 20). */
const DEFAULT_FACTOR = 2;

let held = false;

function setByOperator(): boolean {
  return process.execArgv.some((a) => a.startsWith(FLAG) || a.startsWith('--semi_space_growth_factor'));
}

/** From now until letYoungGenerationGrow(), the young generation keeps its size. */
export function keepYoungGenerationSmall(): void {
  if (held || setByOperator()) return;
  try {
    setFlagsFromString(`${FLAG}=1`);
    held = true;
  } catch {
    // A V8 without the flag: start as before.
  }
}

/**
 * The daemon is up: V8 grows the young generation as it needs again, and the
 * garbage start-up left is collected now rather than seconds later.
 */
export function letYoungGenerationGrow(): void {
  if (!held) return;
  held = false;
  setFlagsFromString(`${FLAG}=${DEFAULT_FACTOR}`);
  collectAllGarbage();
}
