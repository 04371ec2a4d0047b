// ConfigMaps with the service's own credential (as if stolen), straight at the API server. The service keeps its own
// records (the outcomes of Idempotency-Key requests, its completion notices, which it patches as they are told) in
// ConfigMaps of one namespace of its own, moop-records: there RBAC gives it get, list, create, patch and delete, never
// update nor deletecollection. A tenant namespace, where JupyterHub keeps its configuration (the hub ConfigMap), gives
// it no ConfigMap verb at all: it can neither read the hub's configuration nor make, change or delete a ConfigMap
// there. Each refusal names its rule, and the hub is unchanged after each.
import { randomBytes } from 'node:crypto';
import { type KubernetesObject, PatchStrategy, type V1ConfigMap } from '@kubernetes/client-node';
import { recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { attempt, marks, prepareNamespace, schoolId, stolen } from '../../support/attacks.ts';
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
  // The namespaces take every ConfigMap in them along; this file's records go by their names.
  for (const name of [ns, otherNs]) await core.deleteNamespace({ name }).catch(() => undefined);
  const { items } = await core.listNamespacedConfigMap({ namespace: recordsNamespace });
  for (const m of items.filter((m) => m.metadata?.name?.includes(suffix)))
    await core
      .deleteNamespacedConfigMap({ name: m.metadata!.name!, namespace: recordsNamespace })
      .catch(() => undefined);
});

let counter = 0;
/** A ConfigMap in namespace with labels, named as the service names its outcomes unless name is given. */
const configMap = (namespace: string, labels: Record<string, string>, name?: string) =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: name ?? `outcome-${labels['moop.io/tenant'] ?? school}-${suffix}${counter++}`,
      namespace,
      labels,
    },
    data: { outcome: '{"summary":{}}' },
  }) as KubernetesObject & { metadata: { name: string; namespace: string }; data: Record<string, string> };

/** RBAC's refusal of verb on ConfigMaps in namespace, as the API server words it. */
const refused = (verb: string, namespace: string) => ({
  status: 403,
  message: expect.stringContaining(
    `cannot ${verb} resource "configmaps" in API group "" in the namespace "${namespace}"`,
  ),
});

/** The hub ConfigMap as the cluster holds it: what no refused attack may change. */
const hubNow = async () => {
  const read = await core.readNamespacedConfigMap({ name: 'hub', namespace: ns });
  return { resourceVersion: read.metadata?.resourceVersion, labels: read.metadata?.labels, data: read.data };
};
const exists = async (obj: KubernetesObject) =>
  (await statusOfCall(
    core.readNamespacedConfigMap({ name: obj.metadata!.name!, namespace: obj.metadata!.namespace! }),
  )) === 'ok';
const mergePatch = (obj: KubernetesObject & { data?: Record<string, string> }) =>
  service.patch(obj, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);

describe("the service's own records, in the records namespace", () => {
  it('makes, reads, lists, patches and deletes a ConfigMap marked for its tenant there', async () => {
    const own = configMap(recordsNamespace, outcomeMarks);
    expect(await attempt(service.create(own))).toEqual({ made: true });
    expect(await attempt(service.read(own))).toEqual({ made: true });
    const listed = await serviceAccount().core.listNamespacedConfigMap({
      namespace: recordsNamespace,
      labelSelector: 'moop.io/outcome-of',
    });
    expect(listed.items.map((m) => m.metadata?.name)).toContain(own.metadata.name);
    expect(await attempt(mergePatch({ ...own, data: { outcome: '{"summary":{"created":1}}' } }))).toEqual({
      made: true,
    });
    expect((await core.readNamespacedConfigMap(own.metadata)).data).toEqual({ outcome: '{"summary":{"created":1}}' });
    expect(await attempt(service.delete(own))).toEqual({ made: true });
    expect(await exists(own)).toBe(false);
  });

  it('may neither replace a record (update) nor delete them all at once (deletecollection): refused by RBAC', async () => {
    const own = configMap(recordsNamespace, outcomeMarks);
    await core.createNamespacedConfigMap({ namespace: recordsNamespace, body: own as V1ConfigMap });
    const { resourceVersion } = (await core.readNamespacedConfigMap(own.metadata)).metadata!;
    const replaced = { ...own, metadata: { ...own.metadata, resourceVersion }, data: { outcome: 'forged' } };
    expect(await attempt(service.replace(replaced))).toEqual(refused('update', recordsNamespace));
    expect(
      await attempt(serviceAccount().core.deleteCollectionNamespacedConfigMap({ namespace: recordsNamespace })),
    ).toEqual(refused('deletecollection', recordsNamespace));
    expect((await core.readNamespacedConfigMap(own.metadata)).data).toEqual(own.data);
  });
});

describe("a tenant namespace's ConfigMaps (the hub's configuration): no verb at all", () => {
  it('reading the hub ConfigMap, or listing the namespace’s ConfigMaps, is refused by RBAC', async () => {
    const sa = serviceAccount().core;
    expect(await attempt(sa.readNamespacedConfigMap({ name: 'hub', namespace: ns }))).toEqual(refused('get', ns));
    expect(await attempt(service.read({ ...hub, metadata: { name: 'hub', namespace: ns } }))).toEqual(
      refused('get', ns),
    );
    expect(await attempt(sa.listNamespacedConfigMap({ namespace: ns }))).toEqual(refused('list', ns));
    // Nor every namespace's at once.
    expect(await attempt(sa.listConfigMapForAllNamespaces())).toEqual({
      status: 403,
      message: expect.stringContaining('cannot list resource "configmaps" in API group "" at the cluster scope'),
    });
  });

  it("creating a ConfigMap, even marked as the service's and named as its outcomes, is refused by RBAC", async () => {
    const planted = configMap(ns, outcomeMarks);
    expect(await attempt(service.create(planted))).toEqual(refused('create', ns));
    expect(await exists(planted)).toBe(false);
  });

  it("creating a ConfigMap named as JupyterHub's in a namespace that has none yet is refused by RBAC", async () => {
    // The other school's namespace has no hub yet: the name would be taken before the Helm chart makes it.
    const squatter = configMap(otherNs, marks(otherSchool), 'hub');
    expect(await attempt(service.create(squatter))).toEqual(refused('create', otherNs));
    expect(await exists(squatter)).toBe(false);
  });

  it('patching or replacing the hub ConfigMap is refused by RBAC, and it is unchanged', async () => {
    const before = await hubNow();
    const changed = {
      ...hub,
      data: { 'values.yaml': 'hub:\n  config:\n    Authenticator:\n      admin_users: [thief]\n' },
    };
    expect(await attempt(mergePatch(changed))).toEqual(refused('patch', ns));
    // Not even to mark it as the service's first, so that it may be deleted.
    expect(await attempt(mergePatch({ ...hub, metadata: { ...hub.metadata, labels: marks(school) } }))).toEqual(
      refused('patch', ns),
    );
    expect(
      await attempt(
        service.replace({ ...changed, metadata: { ...changed.metadata, resourceVersion: before.resourceVersion } }),
      ),
    ).toEqual(refused('update', ns));
    expect(await hubNow()).toEqual(before);
  });

  it('deleting the hub ConfigMap, or every ConfigMap of the namespace at once, is refused by RBAC, and it stays', async () => {
    const before = await hubNow();
    expect(await attempt(service.delete(hub))).toEqual(refused('delete', ns));
    expect(await attempt(serviceAccount().core.deleteCollectionNamespacedConfigMap({ namespace: ns }))).toEqual(
      refused('deletecollection', ns),
    );
    expect(await hubNow()).toEqual(before);
  });
});

describe('ConfigMaps of namespaces neither a tenant’s nor the records’', () => {
  it.each(['kube-system', 'moop-system', 'default'])(
    "creating a ConfigMap marked as the service's in %s is refused by RBAC",
    async (namespace) => {
      const planted = configMap(namespace, outcomeMarks);
      expect(await attempt(service.create(planted))).toEqual(refused('create', namespace));
      expect(await exists(planted)).toBe(false);
    },
  );
});
