// Prints the conformance pass rate and every failing case (dev aid; the test suite enforces the same).
import { runAll } from '../test/conformance/harness.js';

const results = runAll();
const by = (s: string) => results.filter((r) => r.status === s);
const pass = by('pass').length;
const fail = by('fail');
const proto = by('proto').length;
const filter = process.argv[2];
for (const f of fail) if (!filter || f.path.startsWith(filter)) console.log(`FAIL ${f.path}: ${f.detail?.slice(0, 300)}`);
const perFile = new Map<string, [number, number]>();
for (const r of results) {
  if (r.status === 'proto') continue;
  const file = r.path.split('/')[0]!;
  const e = perFile.get(file) ?? [0, 0];
  e[r.status === 'pass' ? 0 : 1]++;
  perFile.set(file, e);
}
for (const [f, [p, x]] of perFile) console.log(`${f.padEnd(18)} pass ${p} fail ${x}`);
console.log(`total ${results.length}, protobuf-only ${proto}, run ${pass + fail.length}, pass ${pass} (${((100 * pass) / (pass + fail.length)).toFixed(2)}%), fail ${fail.length}`);
