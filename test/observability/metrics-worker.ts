// A cluster worker for cluster-metrics.test.ts: records `n` decisions of one
// kind with one latency, then answers the primary's metrics requests.
import { serveMetricsToPrimary } from '../../src/observability/cluster-metrics.js';
import { Metrics } from '../../src/observability/metrics.js';

const [decision, n, seconds] = [process.env.DECISION as 'allow' | 'deny', Number(process.env.N), Number(process.env.SECONDS)];
const metrics = new Metrics();
metrics.setPoliciesLoaded(4);
for (let i = 0; i < n; i++) {
  metrics.recordRequest(decision, 'http', seconds);
  metrics.recordEvaluation(seconds / 10);
}
metrics.policyUpdate();
serveMetricsToPrimary(metrics.registry);
process.send!({ t: 'ready' });
