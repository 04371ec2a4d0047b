// The service's own credential, stolen: every attack below is made with .local/kubeconfig-service directly against the
// API server, and refused there, by RBAC, by deploy/admission-policy.yaml or by Pod Security, whatever the service's
// code would have done. Each names the layer that refused it. What volumes and claims may hold: contents.test.ts.

import { randomBytes } from 'node:crypto';
import { type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import { otherRuntime, otherServiceAccount, safeSpec, unsafeSpecs } from '../../fixtures/unsafe-pod-specs.ts';
import { call } from '../../support/api.ts';
import {
  attempt,
  job,
  layers,
  marks,
  nfsVolume,
  ofNamespaces,
  pod,
  prepareNamespace,
  refusedBy,
  refusedByAny,
  schoolId,
  stolen,
} from '../../support/attacks.ts';
import { admin, serviceAccount } from '../../support/cluster.ts';
import { managedNames, sweep } from '../../support/managed.ts';

const suffix = randomBytes(3).toString('hex');
/** The school whose namespace the attacks run in, and a second one whose namespace has Pod Security off. */
const school = schoolId();
const bareSchool = schoolId();
/** A tenant namespace as the README has operators make them (npm run prepare-tenant): Pod Security baseline. */
const tenantNs = `lp-tenant-${suffix}`;
/** A tenant namespace whose Pod Security is off, so that the service's own policy is the only fence. */
const bareTenantNs = `lp-bare-${suffix}`;
/** A namespace that is not a tenant's. */
const otherNs = `lp-other-${suffix}`;
const { core } = admin();
const adminObjects = KubernetesObjectApi.makeApiClient(admin().kc);
const service = stolen();
const managed = marks(school);
const managedBare = marks(bareSchool);

beforeAll(async () => {
  await prepareNamespace(school, tenantNs);
  await prepareNamespace(bareSchool, bareTenantNs, { 'pod-security.kubernetes.io/enforce': 'privileged' });
  await core.createNamespace({ body: { metadata: { name: otherNs } } });
  await core.createNamespace({ body: { metadata: { name: tenants.unmarkedNamespace.namespace! } } });
  for (const namespace of [tenantNs, bareTenantNs, otherNs, 'kube-system']) {
    await core
      .createNamespacedServiceAccount({ namespace, body: { metadata: { name: otherServiceAccount } } })
      .catch(() => undefined);
  }
  await adminObjects.create({
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: otherRuntime },
    handler: 'runc',
  } as KubernetesObject);
});

afterAll(async () => {
  // Gone before the next file counts the service's objects.
  await sweep(ofNamespaces(tenantNs, bareTenantNs));
  for (const name of [tenantNs, bareTenantNs, otherNs, tenants.unmarkedNamespace.namespace!])
    await core.deleteNamespace({ name }).catch(() => undefined);
  await core
    .deleteNamespacedServiceAccount({ namespace: 'kube-system', name: otherServiceAccount })
    .catch(() => undefined);
  for (const name of [`lp-admin-pv-${suffix}`, `lp-host-pv-${suffix}`, `lp-local-pv-${suffix}`])
    await core.deletePersistentVolume({ name }).catch(() => undefined);
  await adminObjects
    .delete({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: otherRuntime },
    } as KubernetesObject)
    .catch(() => undefined);
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
    spec: { accessModes: ['ReadWriteMany'], storageClassName: 'standard', resources: { requests: { storage: '1Gi' } } },
  }) as KubernetesObject;
const mergePatch = (obj: KubernetesObject, as = service) =>
  as.patch(obj, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);

describe('what the service is for still works with its own credential', () => {
  it('makes and deletes a safe copy Pod and Job, a claim and an NFS volume it marks as its own, in a tenant namespace', async () => {
    expect(await attempt(service.create(pod(tenantNs, safeSpec(), managed)))).toEqual({ made: true });
    expect(await attempt(service.create(job(tenantNs, safeSpec(), managed)))).toEqual({ made: true });
    expect(await attempt(service.create(claim(tenantNs, `lp-claim-${school}`, managed)))).toEqual({ made: true });
    expect(await attempt(service.delete(claim(tenantNs, `lp-claim-${school}`)))).toEqual({ made: true });
    const own = nfsVolume(tenantNs, `/exports/moop/${tenantNs}/x`, managed);
    expect(await attempt(service.create(own))).toEqual({ made: true });
    // What a claim made again, and cleanup's recycle, do: clear the gone claim's uid.
    await mergePatch({ ...own, spec: { claimRef: { uid: 'gone-claim-uid' } } } as KubernetesObject, adminObjects);
    expect(
      await attempt(
        mergePatch({ ...own, spec: { claimRef: { uid: null, resourceVersion: null } } } as KubernetesObject),
      ),
    ).toEqual({ made: true });
    expect(await attempt(service.delete(own))).toEqual({ made: true });
  });
});

describe('attacks on the host and the cluster through a copy pod', () => {
  const cases = unsafeSpecs.flatMap((u) => [
    [u.attack, 'Pod', u.spec] as const,
    ...(u.podOnly ? [] : [[u.attack, 'Job', u.spec] as const]),
  ]);

  it.each(cases)(
    'a copy that %s (%s) is refused by the admission policy, with Pod Security off',
    async (_attack, kind, spec) => {
      const object = kind === 'Pod' ? pod(bareTenantNs, spec, managedBare) : job(bareTenantNs, spec, managedBare);
      expect(await attempt(service.create(object))).toEqual(refusedBy(layers.pods));
    },
  );

  it.each(cases)(
    'a copy that %s (%s) is refused in a tenant namespace as operators make them',
    async (_attack, kind, spec) => {
      const object = kind === 'Pod' ? pod(tenantNs, spec, managed) : job(tenantNs, spec, managed);
      expect(await attempt(service.create(object))).toEqual({
        status: 403,
        message: expect.stringMatching(/ValidatingAdmissionPolicy 'moop-resource-service-pods'|violates PodSecurity/),
      });
    },
  );

  const { securityContext: _confined, ...unconfined } = safeSpec().containers[0]!;
  it.each([
    [
      "carries the hub's labels: it would be an endpoint of the hub's Service",
      pod(bareTenantNs, safeSpec(), { ...managedBare, component: 'hub' }),
    ],
    [
      "carries the hub's labels on a Job's pods",
      {
        ...job(bareTenantNs, safeSpec(), managedBare),
        spec: {
          activeDeadlineSeconds: 600,
          template: { metadata: { labels: { ...managedBare, app: 'jupyterhub' } }, spec: safeSpec() },
        },
      },
    ],
    [
      "keeps the runtime's capabilities (NET_RAW among them)",
      pod(bareTenantNs, { ...safeSpec(), containers: [unconfined] }, managedBare),
    ],
    ['has no deadline', pod(bareTenantNs, { ...safeSpec(), activeDeadlineSeconds: undefined }, managedBare)],
    ['is a Job with no deadline', job(bareTenantNs, safeSpec(), managedBare, { activeDeadlineSeconds: undefined })],
    ['is a Job of five pods at once', job(bareTenantNs, safeSpec(), managedBare, { parallelism: 5 })],
    ['is a Job of five completions', job(bareTenantNs, safeSpec(), managedBare, { completions: 5 })],
    ['is a Job that retries fifty times', job(bareTenantNs, safeSpec(), managedBare, { backoffLimit: 50 })],
    [
      'is a Job of indexed completions',
      job(bareTenantNs, safeSpec(), managedBare, { completionMode: 'Indexed', completions: 1 }),
    ],
    [
      'is a Job that ignores its failures (unlimited retries)',
      job(bareTenantNs, safeSpec(), managedBare, {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [0] } }] },
      }),
    ],
    ['is a Job suspended for ever', job(bareTenantNs, safeSpec(), managedBare, { suspend: true })],
    [
      'is a Job whose pods carry a finalizer',
      job(bareTenantNs, safeSpec(), managedBare, {
        template: { metadata: { labels: managedBare, finalizers: ['example.com/hold'] }, spec: safeSpec() },
      }),
    ],
    [
      'is a Job whose pod has no deadline of its own (should the Job go, it would run on)',
      job(bareTenantNs, { ...safeSpec(), activeDeadlineSeconds: undefined }, managedBare),
    ],
    [
      'has an Unconfined AppArmor annotation',
      pod(bareTenantNs, safeSpec(), managedBare, {
        'container.apparmor.security.beta.kubernetes.io/copy': 'unconfined',
      }),
    ],
  ] as const)('a copy that %s is refused by the admission policy', async (_attack, object) => {
    expect(await attempt(service.create(object as KubernetesObject))).toEqual(refusedByAny(layers.pods, layers.scope));
  });

  it("a copy named as JupyterHub's notebook pods are is refused: the service names what it makes with its tenant's id", async () => {
    const named = {
      ...pod(bareTenantNs, safeSpec(), managedBare),
      metadata: { name: 'jupyter-alice', namespace: bareTenantNs, labels: managedBare },
    };
    expect(await attempt(service.create(named))).toEqual(refusedBy(layers.scope));
  });

  it('a Job deleted without its pods (left running, owned by nobody) is refused; with them, it goes', async () => {
    const made = job(
      tenantNs,
      { ...safeSpec(), containers: [{ ...safeSpec().containers[0]!, args: ['/bin/sh', '-c', 'sleep 3600'] }] },
      managed,
    );
    await service.create(made);
    const [namespace, name] = [tenantNs, made.metadata!.name!];
    const batch = serviceAccount().batch;
    expect(await attempt(batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Orphan' }))).toEqual(
      refusedBy(layers.scope),
    );
    expect(await attempt(batch.deleteNamespacedJob({ name, namespace }))).toEqual(refusedBy(layers.scope));
    expect(await attempt(batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }))).toEqual({
      made: true,
    });
  });

  it('a Job in kube-system, even a safe one, is refused: not a tenant namespace', async () => {
    expect(await attempt(service.create(job('kube-system', safeSpec(), managed)))).toEqual(refusedBy(layers.rbac));
  });

  it("a safe Pod in a namespace that is not a tenant's is refused", async () => {
    expect(await attempt(service.create(pod(otherNs, safeSpec(), managed)))).toEqual(refusedBy(layers.rbac));
    expect(await attempt(service.create(pod('default', safeSpec(), managed)))).toEqual(refusedBy(layers.rbac));
  });

  it("a Pod without the service's label is refused: everything it makes is marked, so cleanup and audits see it", async () => {
    expect(await attempt(service.create(pod(tenantNs, safeSpec(), {})))).toEqual(refusedBy(layers.scope));
  });

  it('RBAC refuses what the service never does: exec, ephemeral containers, Deployments, DaemonSets, deleting many at once', async () => {
    const made = pod(tenantNs, safeSpec(), managed);
    await service.create(made);
    const api = serviceAccount().core;
    expect(
      await attempt(
        api.connectGetNamespacedPodExec({
          name: made.metadata!.name!,
          namespace: tenantNs,
          command: 'id',
          stdout: true,
        }),
      ),
    ).toEqual(refusedBy(layers.rbac));
    expect(
      await attempt(
        api.patchNamespacedPodEphemeralcontainers({
          name: made.metadata!.name!,
          namespace: tenantNs,
          body: { spec: { ephemeralContainers: [{ name: 'x', image: 'busybox' }] } },
        }),
      ),
    ).toEqual(refusedBy(layers.rbac));
    expect(await attempt(api.deleteCollectionNamespacedPod({ namespace: tenantNs }))).toEqual(refusedBy(layers.rbac));
    const daemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd', namespace: tenantNs, labels: managed },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: safeSpec() } },
    };
    expect(await attempt(service.create(daemonSet))).toEqual(refusedBy(layers.rbac));
  });
});

describe('attacks on what the service did not make', () => {
  it('deleting a PV an operator made is refused, and the PV stays', async () => {
    const theirs = volume(`lp-admin-pv-${suffix}`, { nfs: { server: '10.0.0.9', path: '/exports/other' } });
    await adminObjects.create(theirs);
    expect(await attempt(service.delete(theirs))).toEqual(refusedBy(layers.scope));
    expect(
      (await core.readPersistentVolume({ name: `lp-admin-pv-${suffix}` })).metadata?.deletionTimestamp,
    ).toBeUndefined();
  });

  it("claiming an operator's PV as the service's by patching the label on is refused", async () => {
    const labelled = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `lp-admin-pv-${suffix}`, labels: managed },
    };
    expect(await attempt(mergePatch(labelled))).toEqual(refusedByAny(layers.scope, layers.volumes));
  });

  it('deleting a claim or a Pod an operator made in a tenant namespace is refused', async () => {
    await adminObjects.create(claim(tenantNs, `lp-their-claim-${suffix}`));
    const theirPod = pod(tenantNs, safeSpec(), {});
    await adminObjects.create(theirPod);
    expect(await attempt(service.delete(claim(tenantNs, `lp-their-claim-${suffix}`)))).toEqual(refusedBy(layers.scope));
    expect(await attempt(service.delete(theirPod))).toEqual(refusedBy(layers.scope));
  });

  it('making a hostPath or local PV, even one marked as its own, is refused', async () => {
    const hostPv = nfsVolume(tenantNs, '/', managed, { nfs: undefined, hostPath: { path: '/' } });
    const localPv = nfsVolume(tenantNs, '/', managed, {
      nfs: undefined,
      local: { path: '/' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kwok-node-0'] }] },
          ],
        },
      },
    });
    expect(await attempt(service.create(hostPv))).toEqual(refusedBy(layers.volumes));
    expect(await attempt(service.create(localPv))).toEqual(refusedBy(layers.volumes));
  });

  it('stripping its label from its own PV (to hide it from cleanup) is refused', async () => {
    const own = nfsVolume(tenantNs, `/exports/moop/${tenantNs}/y`, managed);
    await service.create(own);
    const stripped = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: own.metadata!.name, labels: { 'app.kubernetes.io/managed-by': null } },
    };
    expect(await attempt(mergePatch(stripped as unknown as KubernetesObject))).toEqual(
      refusedByAny(layers.scope, layers.volumes),
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
    expect(await attempt(adminObjects.create(pod(tenantNs, privileged, {})))).toEqual(refusedBy(layers.podSecurity));
  });
});

describe('through the routes', () => {
  it('answers 422 NAMESPACE_NOT_PREPARED, saying what to run, for a tenant whose namespace the operator never prepared', async () => {
    const before = await managedNames();
    expect(
      await call('POST', '/service/v1/volumes/pvcs', {
        body: { tenant: tenants.unmarkedNamespace.id, username: `lp-${suffix}` },
      }),
    ).toEqual({
      status: 422,
      body: {
        error:
          'Namespace tenant-unmarked is not prepared for the MOOP resource service: an operator runs npm run prepare-tenant -- --tenant <id> ' +
          '(README, Tenant namespaces). persistentvolumeclaims is forbidden: User "system:serviceaccount:moop-system:moop-resource-service" ' +
          'cannot create resource "persistentvolumeclaims" in API group "" in the namespace "tenant-unmarked"',
        code: 'NAMESPACE_NOT_PREPARED',
      },
    });
    expect(await managedNames()).toEqual(before);
  });
});
