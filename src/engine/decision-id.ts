// Decision ids: unique across processes and restarts, cheap to make.
// The first 80 bits are random per process, the last 48 a counter, laid
// out as a version-4 UUID string (so they fit uuid columns). randomUUID()
// per decision would cost ~85 ns — a tenth of a cached evaluation — and
// even Number#toString(16) is slow enough to matter, hence the byte table.

import { randomBytes } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const r = randomBytes(10);
const prefix =
  HEX[r[0]!]! + HEX[r[1]!]! + HEX[r[2]!]! + HEX[r[3]!]! + '-' +
  HEX[r[4]!]! + HEX[r[5]!]! + '-' +
  '4' + HEX[r[6]!]!.slice(1) + HEX[r[7]!]! + '-' +
  HEX[(r[8]! & 0x3f) | 0x80]! + HEX[r[9]!]! + '-';

let hi = 0; // upper 16 bits of the 48-bit counter
let lo = 0; // lower 32 bits

export function nextDecisionId(): string {
  if (++lo === 0x1_0000_0000) {
    lo = 0;
    hi = (hi + 1) & 0xffff;
  }
  return prefix + HEX[hi >>> 8]! + HEX[hi & 0xff]! + HEX[lo >>> 24]! + HEX[(lo >>> 16) & 0xff]! + HEX[(lo >>> 8) & 0xff]! + HEX[lo & 0xff]!;
}
