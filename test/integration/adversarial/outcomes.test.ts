// ConfigMaps with the service's own credential (as if stolen), straight at the API server: the service keeps the
// outcomes of Idempotency-Key requests in ConfigMaps of tenant namespaces, where JupyterHub keeps its configuration
// (the hub ConfigMap), and its completion notices, which it patches as they are told. RBAC gives it get, list, create,
// patch and delete, never update; the scope policy holds what it creates, changes and deletes to its own marked,
// tenant-named objects in its tenant's namespace. Each refusal names its rule.
import { randomBytes } from 'node:crypto';
import { type KubernetesObject, PatchStrategy, type V1ConfigMap } from '@kubernetes/client-node';
import { attempt, layers, marks, prepareNamespace, schoolId, stolen } from '../../support/attacks.ts';
import { admin, serviceAccount, statusOfCall } from '../../support/cluster.ts';

const suffix = randomBytes(3).toString('hex');
const school = schoolId();
const otherSchool = schoolId();
const ns = `oc-${suffix}`;
const otherNs = `oc-other-${suffix}`;
const { core } = admin();
const service = stolen();
const outcomeMarks = { ...marks(school), 'moop.io/outcome-of': 'rosters' };

/** JupyterHub's configuration, as the Helm chart makes it in the namespace it shares with a school's claims. */
const hub: V1ConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'hub',
    namespace: ns,
    labels: { app: 'jupyterhub', component: 'hub', 'app.kubernetes.io/managed-by': 'Helm' },
  },
  data: { 'values.yaml': 'hub:\n  config:\n    Authenticator:\n      admin_users: [teacher]\n' },
};

beforeAll(async () => {
  await prepareNamespace(school, ns);
  await prepareNamespace(otherSchool, otherNs);
  await core.createNamespacedConfigMap({ namespace: ns, body: hub });
});

afterAll(async () => {
  // The namespaces take every ConfigMap in them along.
  for (const name of [ns, otherNs]) await core.deleteNamespace({ name }).catch(() => undefined);
});

let counter = 0;
/** A ConfigMap in namespace with labels, named as the service names its outcomes unless name is given. */
const configMap = (namespace: string, labels: Record<string, string>, name?: string, extra: object = {}) =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: name ?? `outcome-${labels['moop.io/tenant'] ?? school}-${suffix}${counter++}`,
      namespace,
      labels,
      ...extra,
    },
    data: { outcome: '{"summary":{}}' },
  }) as KubernetesObject;

/** The hub ConfigMap as the cluster holds it: what no refused attack may change. */
const hubNow = async () => {
  const read = await core.readNamespacedConfigMap({ name: 'hub', namespace: ns });
  return { resourceVersion: read.metadata?.resourceVersion, labels: read.metadata?.labels, data: read.data };
};
const exists = async (obj: KubernetesObject) =>
  (await statusOfCall(
    core.readNamespacedConfigMap({ name: obj.metadata!.name!, namespace: obj.metadata!.namespace! }),
  )) === 'ok';

describe("the service's own outcomes", () => {
  it("makes, reads and deletes a ConfigMap marked as its own and named with its tenant, in that tenant's namespace", async () => {
    const own = configMap(ns, outcomeMarks);
    expect(await attempt(service.create(own))).toEqual({ made: true });
    expect(await attempt(service.read(own as KubernetesObject & { metadata: { name: string } }))).toEqual({
      made: true,
    });
    expect(await attempt(service.delete(own))).toEqual({ made: true });
  });
});

describe('attacks on ConfigMaps in a tenant namespace', () => {
  it("creating a ConfigMap without the service's label is refused by the scope policy, and nothing is made", async () => {
    const unmarked = configMap(ns, {});
    expect(await attempt(service.create(unmarked))).toEqual({
      status: 403,
      message: expect.stringContaining(
        `${layers.scope} with binding 'moop-resource-service-scope' denied request: the MOOP resource service may create only objects labelled app.kubernetes.io/managed-by=moop-resource-service; ConfigMap ${unmarked.metadata!.name} is not one`,
      ),
    });
    expect(await exists(unmarked)).toBe(false);
  });

  it("creating a ConfigMap named as JupyterHub's, even marked as the service's, is refused: its names hold the tenant's id", async () => {
    // In the other school's namespace, which has no hub yet: the name would be taken before the Helm chart makes it.
    const squatter = configMap(otherNs, marks(otherSchool), 'hub');
    expect(await attempt(service.create(squatter))).toEqual({
      status: 403,
      message: expect.stringContaining(
        `the MOOP resource service names what it makes, and the claim a volume is reserved for, with their tenant's id (${otherSchool}): ConfigMap hub does not`,
      ),
    });
    expect(await exists(squatter)).toBe(false);
  });

  it('patching the hub ConfigMap is refused by the scope policy, replacing it by RBAC, and it is unchanged', async () => {
    const before = await hubNow();
    const changed = {
      ...hub,
      data: { 'values.yaml': 'hub:\n  config:\n    Authenticator:\n      admin_users: [thief]\n' },
    };

    expect(
      await attempt(service.patch(changed, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch)),
    ).toEqual({
      status: 403,
      message: expect.stringContaining(
        'the MOOP resource service may update only objects labelled app.kubernetes.io/managed-by=moop-resource-service; ConfigMap hub is not one',
      ),
    });
    expect(
      await attempt(
        service.replace({ ...changed, metadata: { ...changed.metadata, resourceVersion: before.resourceVersion } }),
      ),
    ).toEqual({
      status: 403,
      message: expect.stringContaining(`cannot update resource "configmaps" in API group "" in the namespace "${ns}"`),
    });
    // Not even to mark it as the service's first, so that it may be deleted.
    expect(
      await attempt(
        service.patch(
          { ...hub, metadata: { ...hub.metadata, labels: marks(school) } },
          undefined,
          undefined,
          undefined,
          undefined,
          PatchStrategy.MergePatch,
        ),
      ),
    ).toEqual({
      status: 403,
      message: expect.stringContaining(
        'the MOOP resource service may update only objects labelled app.kubernetes.io/managed-by=moop-resource-service; ConfigMap hub is not one',
      ),
    });
    expect(await hubNow()).toEqual(before);
  });

  it('deleting the hub ConfigMap is refused by the scope policy, and it stays', async () => {
    const before = await hubNow();
    expect(await attempt(service.delete(hub))).toEqual({
      status: 403,
      message: expect.stringContaining(
        'the MOOP resource service may delete only objects labelled app.kubernetes.io/managed-by=moop-resource-service; ConfigMap hub is not one',
      ),
    });
    expect(await hubNow()).toEqual(before);
  });

  it('deleting every ConfigMap of the namespace at once is refused by RBAC', async () => {
    const before = await hubNow();
    expect(await attempt(serviceAccount().core.deleteCollectionNamespacedConfigMap({ namespace: ns }))).toEqual({
      status: 403,
      message: expect.stringContaining(
        `cannot deletecollection resource "configmaps" in API group "" in the namespace "${ns}"`,
      ),
    });
    expect(await hubNow()).toEqual(before);
  });

  it.each([
    ['an annotation of another controller', { annotations: { 'helm.sh/resource-policy': 'keep' } }],
    [
      'an owner (the garbage collector would delete it with the hub)',
      {
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'hub', uid: '00000000-0000-0000-0000-000000000000' },
        ],
      },
    ],
    ['a finalizer that would keep it for ever', { finalizers: ['example.com/hold'] }],
  ])("a ConfigMap marked as the service's but carrying %s is refused by the scope policy", async (_what, extra) => {
    const odd = configMap(ns, outcomeMarks, undefined, extra);
    expect(await attempt(service.create(odd))).toEqual({
      status: 403,
      message: expect.stringContaining(
        'what the MOOP resource service makes carries only its own annotations (moop.io/*), no ownerReferences and no finalizers of its own',
      ),
    });
    expect(await exists(odd)).toBe(false);
  });
});

describe('attacks on ConfigMaps outside the tenant namespace', () => {
  it.each(['kube-system', 'moop-system', 'default'])(
    "creating a ConfigMap marked as the service's in %s is refused by RBAC: no tenant namespace",
    async (namespace) => {
      const planted = configMap(namespace, outcomeMarks);
      expect(await attempt(service.create(planted))).toEqual({
        status: 403,
        message: expect.stringContaining(
          `cannot create resource "configmaps" in API group "" in the namespace "${namespace}"`,
        ),
      });
      expect(await exists(planted)).toBe(false);
    },
  );

  it("creating a school's ConfigMap in another school's namespace is refused by the scope policy", async () => {
    const planted = configMap(otherNs, outcomeMarks);
    expect(await attempt(service.create(planted))).toEqual({
      status: 403,
      message: expect.stringContaining(
        `the MOOP resource service may act for tenant ${school} only in a namespace prepared for that tenant (npm run prepare-tenant); ${otherNs} is not one`,
      ),
    });
    expect(await exists(planted)).toBe(false);
  });
});
