// Each request writes its metrics as a CloudWatch embedded-format line (Powertools Metrics): a count by route and
// status class, and the latency of the calls it made upstream, read here from the function's own log.
import { readFileSync } from 'node:fs';
import { tenants } from '../fixtures/tenants.ts';
import { call } from '../support/api.ts';
import { eventually } from '../support/cluster.ts';

const log = (): string => readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8');

/** A line in CloudWatch's embedded metric format: what it declares, its dimensions' values and the metrics' values. */
interface MetricsLine {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  route?: string;
  statusClass?: string;
  KubernetesApiLatency?: number | number[];
  [name: string]: unknown;
}

/** The embedded-metrics line written after offset for route and status class. */
async function metricsLine(offset: number, route: string, statusClass: string): Promise<MetricsLine> {
  return eventually(`the metrics of ${route} (${statusClass})`, async () =>
    log()
      .slice(offset)
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as MetricsLine)
      .find((m) => m.route === route && m.statusClass === statusClass),
  );
}

it('counts a request by route and status class, with the latency of its calls to the API server', async () => {
  const offset = log().length;
  const answer = await call('GET', '/service/v1/volumes/pvs', {
    query: { tenant: tenants.a.id, username: 'metrics-nobody' },
  });
  expect(answer.status).toBe(404);

  const line = await metricsLine(offset, 'GET /service/v1/volumes/pvs', '4xx');
  expect(line._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: 'MOOP/ResourceService',
      Dimensions: [['service', 'route', 'statusClass']],
      Metrics: expect.arrayContaining([
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'KubernetesApiLatency', Unit: 'Milliseconds' },
      ]),
    },
  ]);
  expect(line).toMatchObject({ service: 'moop-resource-service', Requests: 1 });
  const latencies = [line.KubernetesApiLatency ?? []].flat();
  expect(latencies.length).toBeGreaterThan(0);
  expect(latencies.every((ms) => ms > 0 && ms < 4000)).toBe(true);
});

it('counts a refused request too, with no upstream call', async () => {
  const offset = log().length;
  expect((await call('GET', '/service/v1/volumes/pvcs', { key: 'wrong-key-of-some-length', query: {} })).status).toBe(
    401,
  );

  const line = await metricsLine(offset, 'GET /service/v1/volumes/pvcs', '4xx');
  expect(line._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'Requests', Unit: 'Count' }]);
});
