// Rewrites docs/conformance.md from a fresh conformance run.
import { writeFileSync } from 'node:fs';
import { runAll } from '../test/conformance/harness.js';
import { renderConformanceDoc } from '../test/conformance/report.js';

writeFileSync(new URL('../docs/conformance.md', import.meta.url), renderConformanceDoc(runAll()));
console.log('wrote docs/conformance.md');
