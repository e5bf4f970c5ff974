// A worker process for ipc-store.test.ts: an engine whose limits live in the
// parent (IpcLimitStore), firing `n` concurrent requests when asked, and
// reporting how many it admitted.
import { PolicyEngine } from '../../src/engine/engine.js';
import { IpcLimitStore } from '../../src/limits/ipc-store.js';

const POLICY = `apiVersion: policy.llm/v1
kind: Policy
metadata: { name: shared }
spec:
  rules:
    - id: rpm
      limit: { key: user.id, requests: 50, window: 1m }
      decision: throttle
    - id: spend
      budget: { key: team.id, limit: ${process.argv[2] === 'budget' ? 1 : 1000}, period: day, amount: "0.03" }
      decision: deny
`;

const store = new IpcLimitStore();
const engine = await PolicyEngine.builder().withPolicyText(POLICY, 'shared.yaml').withLimitStore(store).build();

process.on('message', async (m: unknown) => {
  const msg = m as { t?: string; n?: number; users?: string[] };
  if (msg.t !== 'go') return;
  const decisions = await Promise.all(
    Array.from({ length: msg.n! }, (_, i) => engine.evaluate({ user: { id: msg.users![i % msg.users!.length] }, team: { id: 't1' } })),
  );
  const byUser: Record<string, number> = {};
  decisions.forEach((d, i) => {
    if (d.allowed) byUser[msg.users![i % msg.users!.length]!] = (byUser[msg.users![i % msg.users!.length]!] ?? 0) + 1;
  });
  process.send!({ t: 'done', admitted: decisions.filter((d) => d.allowed).length, byUser });
});
process.send!({ t: 'ready' });
