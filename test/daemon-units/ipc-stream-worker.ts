// A worker for ipc-stream.test.ts: writes numbered lines (some longer than a
// pipe's atomic write) to an IpcWritable, then says how many it wrote.
import { IpcWritable } from '../../src/daemon/ipc-stream.js';
import { finishStream } from '../../src/daemon/outputs.js';

const [tag, count, size] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const out = new IpcWritable('audit');
let full = 0;
for (let i = 0; i < count; i++) {
  if (!out.write(`${tag} ${i} ${'x'.repeat(size)}\n`)) full++;
}
await finishStream(out, true);
process.send!({ t: 'done', full });
