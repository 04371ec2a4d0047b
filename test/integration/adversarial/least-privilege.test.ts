// The service's own credential, stolen: every attack below is made with .local/kubeconfig-service directly against the
// API server, and refused there, by RBAC, by deploy/admission-policy.yaml or by Pod Security, whatever the service's
// code would have done. Each names the layer that refused it.

import { randomBytes } from 'node:crypto';
import { type KubernetesObject, KubernetesObjectApi, PatchStrategy, type V1PodSpec } from '@kubernetes/client-node';
import { tenantNamespaceLabels } from '../../../tools/demo-tenant.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { otherServiceAccount, safeSpec, unsafeSpecs } from '../../fixtures/unsafe-pod-specs.ts';
import { call } from '../../support/api.ts';
import { admin, serviceAccount } from '../../support/cluster.ts';
import { managedNames, sweep } from '../../support/managed.ts';

const suffix = randomBytes(3).toString('hex');
/** A tenant namespace as the README has operators make them: marked for the service, Pod Security baseline. */
const tenantNs = `lp-tenant-${suffix}`;
/** A tenant namespace whose Pod Security is off, so that the service's own policy is the only fence. */
const bareTenantNs = `lp-bare-${suffix}`;
/** A namespace that is not a tenant's. */
const otherNs = `lp-other-${suffix}`;
const { core } = admin();
const adminObjects = KubernetesObjectApi.makeApiClient(admin().kc);
const service = KubernetesObjectApi.makeApiClient(serviceAccount().kc);
const managed = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': '5c88a9ec5b6c2e3c4a3b2d1a' };

const scopePolicy = "ValidatingAdmissionPolicy 'moop-resource-service-scope'";
const podPolicy = "ValidatingAdmissionPolicy 'moop-resource-service-pods'";
const rbac = 'cannot';
const podSecurity = 'violates PodSecurity "baseline';

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: tenantNs, labels: { ...tenantNamespaceLabels } } } });
  await core.createNamespace({
    body: { metadata: { name: bareTenantNs, labels: { 'moop.io/tenant': 'true', 'pod-security.kubernetes.io/enforce': 'privileged' } } },
  });
  await core.createNamespace({ body: { metadata: { name: otherNs } } });
  await core.createNamespace({ body: { metadata: { name: tenants.unmarkedNamespace.namespace! } } });
  for (const namespace of [tenantNs, bareTenantNs, otherNs, 'kube-system']) {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: otherServiceAccount } } }).catch(() => undefined);
  }
});

afterAll(async () => {
  // Gone before the next file counts the service's objects.
  await sweep((o) => o.metadata?.name?.includes(suffix) === true);
  for (const name of [tenantNs, bareTenantNs, otherNs, tenants.unmarkedNamespace.namespace!]) await core.deleteNamespace({ name }).catch(() => undefined);
  await core.deleteNamespacedServiceAccount({ namespace: 'kube-system', name: otherServiceAccount }).catch(() => undefined);
  for (const name of [`lp-admin-pv-${suffix}`, `lp-host-pv-${suffix}`, `lp-local-pv-${suffix}`, `lp-own-pv-${suffix}`]) {
    await core.deletePersistentVolume({ name }).catch(() => undefined);
  }
  await adminObjects.delete({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `lp-job-${suffix}`, namespace: 'kube-system' } }).catch(() => undefined);
});

/** What the API server answered: made, or refused with its status and message. */
async function attempt(call: Promise<unknown>): Promise<{ made: true } | { status: number; message: string }> {
  try {
    await call;
    return { made: true };
  } catch (err) {
    const e = err as { code?: number; body?: string };
    if (e.code === undefined) throw err;
    return { status: e.code, message: String((JSON.parse(e.body ?? '{}') as { message?: string }).message) };
  }
}

const refusedBy = (layer: string, status = 403) => ({ status, message: expect.stringContaining(layer) });

let counter = 0;
const pod = (namespace: string, spec: V1PodSpec, labels: Record<string, string> = managed): KubernetesObject & { spec: V1PodSpec } => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `lp-pod-${suffix}-${counter++}`, namespace, labels },
  spec,
});
const job = (namespace: string, spec: V1PodSpec, name = `lp-job-${suffix}-${counter++}`): KubernetesObject & { spec: object } => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace, labels: managed },
  spec: { template: { metadata: { labels: managed }, spec } },
});
const volume = (name: string, source: Record<string, unknown>, labels?: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { accessModes: ['ReadWriteMany'], capacity: { storage: '1Gi' }, ...source },
  }) as KubernetesObject;
const claim = (namespace: string, name: string, labels?: Record<string, string>): KubernetesObject =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: '', resources: { requests: { storage: '1Gi' } } },
  }) as KubernetesObject;

describe('what the service is for still works with its own credential', () => {
  it('makes and deletes a safe copy Pod and Job, a claim and an NFS volume it labels as its own, in a tenant namespace', async () => {
    expect(await attempt(service.create(pod(tenantNs, safeSpec())))).toEqual({ made: true });
    expect(await attempt(service.create(job(tenantNs, safeSpec())))).toEqual({ made: true });
    expect(await attempt(service.create(claim(tenantNs, `lp-claim-${suffix}`, managed)))).toEqual({ made: true });
    expect(await attempt(service.delete(claim(tenantNs, `lp-claim-${suffix}`)))).toEqual({ made: true });
    const own = volume(`lp-own-pv-${suffix}`, { nfs: { server: '10.0.0.2', path: '/exports/moop/x' } }, managed);
    expect(await attempt(service.create(own))).toEqual({ made: true });
    expect(
      await attempt(
        service.patch(
          { ...own, metadata: { ...own.metadata, annotations: { touched: 'yes' } } },
          undefined,
          undefined,
          undefined,
          undefined,
          PatchStrategy.MergePatch,
        ),
      ),
    ).toEqual({ made: true });
    expect(await attempt(service.delete(own))).toEqual({ made: true });
  });
});

describe('attacks on the host and the cluster through a copy pod', () => {
  const cases = unsafeSpecs.flatMap((u) => [[u.attack, 'Pod', u.spec] as const, [u.attack, 'Job', u.spec] as const]);

  it.each(cases)('a %s (%s) is refused by the admission policy, with Pod Security off', async (_attack, kind, spec) => {
    const object = kind === 'Pod' ? pod(bareTenantNs, spec) : job(bareTenantNs, spec);
    expect(await attempt(service.create(object))).toEqual(refusedBy(podPolicy));
  });

  it.each(cases)('a %s (%s) is refused in a tenant namespace as operators make them', async (_attack, kind, spec) => {
    const object = kind === 'Pod' ? pod(tenantNs, spec) : job(tenantNs, spec);
    expect(await attempt(service.create(object))).toEqual({
      status: 403,
      message: expect.stringMatching(/ValidatingAdmissionPolicy 'moop-resource-service-pods'|violates PodSecurity/),
    });
  });

  it('a Job in kube-system, even a safe one, is refused: not a tenant namespace', async () => {
    expect(await attempt(service.create(job('kube-system', safeSpec(), `lp-job-${suffix}`)))).toEqual(refusedBy(scopePolicy));
  });

  it("a safe Pod in a namespace that is not a tenant's is refused", async () => {
    expect(await attempt(service.create(pod(otherNs, safeSpec())))).toEqual(refusedBy(scopePolicy));
    expect(await attempt(service.create(pod('default', safeSpec())))).toEqual(refusedBy(scopePolicy));
  });

  it("a Pod without the service's label is refused: everything it makes is marked, so cleanup and audits see it", async () => {
    expect(await attempt(service.create(pod(tenantNs, safeSpec(), {})))).toEqual(refusedBy(scopePolicy));
  });

  it('a host-network Job and a Job under another service account are refused in kube-system too', async () => {
    for (const attack of ["joins the host's network", 'runs under another service account', "mounts the host's /"]) {
      const spec = unsafeSpecs.find((u) => u.attack === attack)!.spec;
      expect(await attempt(service.create(job('kube-system', spec)))).toEqual({ status: 403, message: expect.stringContaining('ValidatingAdmissionPolicy') });
    }
  });

  it('RBAC refuses what the service never does: exec, ephemeral containers, Deployments, DaemonSets, deleting many at once', async () => {
    const made = pod(tenantNs, safeSpec());
    await service.create(made);
    const api = serviceAccount().core;
    expect(await attempt(api.connectGetNamespacedPodExec({ name: made.metadata!.name!, namespace: tenantNs, command: 'id', stdout: true }))).toEqual(
      refusedBy(rbac),
    );
    expect(
      await attempt(
        api.patchNamespacedPodEphemeralcontainers({
          name: made.metadata!.name!,
          namespace: tenantNs,
          body: { spec: { ephemeralContainers: [{ name: 'x', image: 'busybox' }] } },
        }),
      ),
    ).toEqual(refusedBy(rbac));
    expect(await attempt(api.deleteCollectionNamespacedPod({ namespace: tenantNs }))).toEqual(refusedBy(rbac));
    const daemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: tenantNs, labels: managed },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: safeSpec() } },
    };
    expect(await attempt(service.create(daemonSet))).toEqual(refusedBy(rbac));
  });
});

describe('attacks on what the service did not make', () => {
  it('deleting a PV an operator made is refused, and the PV stays', async () => {
    const theirs = volume(`lp-admin-pv-${suffix}`, { nfs: { server: '10.0.0.9', path: '/exports/other' } });
    await adminObjects.create(theirs);
    expect(await attempt(service.delete(theirs))).toEqual(refusedBy(scopePolicy));
    expect((await core.readPersistentVolume({ name: `lp-admin-pv-${suffix}` })).metadata?.deletionTimestamp).toBeUndefined();
  });

  it("claiming an operator's PV as the service's by patching the label on is refused", async () => {
    const labelled = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `lp-admin-pv-${suffix}`, labels: managed } };
    expect(await attempt(service.patch(labelled, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch))).toEqual(refusedBy(scopePolicy));
  });

  it('deleting a claim or a Pod an operator made in a tenant namespace is refused', async () => {
    await adminObjects.create(claim(tenantNs, `lp-their-claim-${suffix}`));
    const theirPod = pod(tenantNs, safeSpec(), {});
    await adminObjects.create(theirPod);
    expect(await attempt(service.delete(claim(tenantNs, `lp-their-claim-${suffix}`)))).toEqual(refusedBy(scopePolicy));
    expect(await attempt(service.delete(theirPod))).toEqual(refusedBy(scopePolicy));
  });

  it('making a hostPath or local PV, even one labelled as its own, is refused', async () => {
    const hostPv = volume(`lp-host-pv-${suffix}`, { hostPath: { path: '/' } }, managed);
    const localPv = volume(
      `lp-local-pv-${suffix}`,
      {
        local: { path: '/' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kwok-node-0'] }] }] } },
      },
      managed,
    );
    expect(await attempt(service.create(hostPv))).toEqual(refusedBy(scopePolicy));
    expect(await attempt(service.create(localPv))).toEqual(refusedBy(scopePolicy));
  });

  it('stripping its label from its own PV (to hide it from cleanup) is refused', async () => {
    const own = volume(`lp-own-pv-${suffix}`, { nfs: { server: '10.0.0.2', path: '/exports/moop/y' } }, managed);
    await service.create(own);
    const stripped = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `lp-own-pv-${suffix}`, labels: { 'app.kubernetes.io/managed-by': null } },
    };
    expect(await attempt(service.patch(stripped as unknown as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch))).toEqual(
      refusedBy(scopePolicy),
    );
  });
});

describe('the cluster under the policy', () => {
  it('runs the API server with --allow-privileged=true: an operator may run a privileged pod outside tenant namespaces', async () => {
    const privileged = unsafeSpecs.find((u) => u.field === 'containers[0].securityContext.privileged')!.spec;
    expect(await attempt(adminObjects.create(pod(otherNs, privileged, {})))).toEqual({ made: true });
  });

  it('holds even an operator to Pod Security baseline in a tenant namespace', async () => {
    const privileged = unsafeSpecs.find((u) => u.field === 'containers[0].securityContext.privileged')!.spec;
    expect(await attempt(adminObjects.create(pod(tenantNs, privileged, {})))).toEqual(refusedBy(podSecurity));
  });
});

describe('through the routes', () => {
  it("answers 422 REFUSED_BY_POLICY, with the cluster's reason, for a tenant whose namespace the operator never marked", async () => {
    const before = await managedNames();
    expect(await call('POST', '/service/v1/volumes/pvcs', { body: { tenant: tenants.unmarkedNamespace.id, username: `lp-${suffix}` } })).toEqual({
      status: 422,
      body: {
        error: expect.stringContaining(
          'the MOOP resource service may act only in tenant namespaces (labelled moop.io/tenant=true); tenant-unmarked is not one',
        ),
        code: 'REFUSED_BY_POLICY',
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});
