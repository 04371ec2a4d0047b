// Scheduled cleanup walks the tenant namespaces (labelled moop.io/tenant) one at a time, with the service's own
// account: a namespace being deleted is passed by (its RoleBindings may go before its label), and a labelled namespace
// nobody prepared is reported, while the rest of the run goes on.
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { KubeClient } from '../../../lib/kube/client.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { Resources } from '../../../lib/kube/resources.ts';
import { admin } from '../../support/cluster.ts';

const suffix = randomBytes(3).toString('hex');
const [terminating, unprepared] = [`cn-terminating-${suffix}`, `cn-unprepared-${suffix}`];
const { core } = admin();
const settings = { policy: 'keep', retentionSeconds: 3600, pageSize: 50, concurrency: 4, orphans: 'report' } as const;
const tenants = { get: () => Promise.reject(new Error('not asked')) };
let kube: KubeClient;

beforeAll(async () => {
  kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! }), { timeoutMs: 5000 });
  for (const name of [terminating, unprepared]) {
    await core.createNamespace({
      body: { metadata: { name, labels: { 'moop.io/tenant': '5c88a9ec5b6c2e3c4a3b2dcc' } } },
    });
  }
  // A ConfigMap that holds on to its namespace: the namespace stays Terminating while the test runs.
  await core.createNamespacedConfigMap({
    namespace: terminating,
    body: { metadata: { name: 'held', finalizers: ['moop.io/test-hold'] } },
  });
  await core.deleteNamespace({ name: terminating });
});

afterAll(async () => {
  const held = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'held', namespace: terminating, finalizers: null },
  };
  await KubernetesObjectApi.makeApiClient(admin().kc)
    .patch(held as unknown as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch)
    .catch(() => undefined);
  await core.deleteNamespace({ name: unprepared }).catch(() => undefined);
  await kube.close();
});

it('passes a tenant namespace being deleted by, and reports one nobody prepared, by kind', async () => {
  const summary = await runCleanup(
    { resources: new Resources(kube), tenants, logger: new Logger({ logLevel: 'SILENT' }), settings },
    { action: 'scheduled', dryRun: true },
  );
  const listed = summary.failures.filter((f) => f.action === 'list').map((f) => f.name);
  expect(listed.filter((n) => n.includes(suffix)).sort()).toEqual(
    ['Job', 'Pod', 'PersistentVolumeClaim'].map((kind) => `${kind} in ${unprepared}`).sort(),
  );
});
