// Where one process runs several invocations at once (serverless-offline in process, the suite's runtime, Lambda's
// multi-concurrency), each keeps its own metrics and log keys.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { jest } from '@jest/globals';
import { invocationStore, ownInvocation } from '../../../lib/aws/invocation.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

it('keeps the metrics and log keys of concurrent invocations apart', async () => {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY = '8';
  process.env.POWERTOOLS_DEV = 'true'; // the logger writes through the global console, which the test reads
  await invocationStore();
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'test' });
  const logger = new Logger({ serviceName: 'test' });
  const lines: string[] = [];
  jest.spyOn(console, 'info').mockImplementation((line: unknown) => void lines.push(String(line)));
  // Records n as a metric and a log key, lets the other invocations run, then logs and reads back what it holds.
  const handler = ownInvocation(async (n: number, _context: { awsRequestId: string }) => {
    metrics.addMetric('items', MetricUnit.Count, n);
    logger.appendKeys({ item: n });
    await new Promise(setImmediate);
    logger.info('recorded');
    return metrics.serializeMetrics().items;
  });

  const answers = await Promise.all([1, 2, 3].map((n) => handler(n, { awsRequestId: `request-${n}` })));

  expect(answers).toEqual([1, 2, 3]);
  expect(lines.map((l) => (JSON.parse(l) as { item: number }).item).sort()).toEqual([1, 2, 3]);

  // serverless-offline in process replaces globalThis.awslambda whenever it loads another function's handler.
  (globalThis as { awslambda?: unknown }).awslambda = {};
  const again = await Promise.all([4, 5].map((n) => handler(n, { awsRequestId: `request-${n}` })));
  expect(again).toEqual([4, 5]);
});
