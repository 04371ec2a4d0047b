// Objects the old Python services made, created exactly as they made them (admin credentials, the seeds' names, no
// labels of this service, a 65-character Pod), adopted by `npm run adopt`, then read and deleted through the routes.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { projectRoot } from '../../../tools/offline.ts';
import { realTemplates, tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, CopyAnswer, VolumeAnswer } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, statusOfCall, until } from '../../support/cluster.ts';

const tenant = tenants.legacy.id;
const namespace = 'tenant-legacy';
const { core } = admin();
const user = 'john.doe';
const old = {
  pv: `pv-${tenant}-${user}-default`,
  pvc: `pvc-${tenant}-${user}-default`,
  // pod-service.py: job-<tenant id>-<uuid4>, 65 characters.
  pod: `job-${tenant}-${randomUUID()}`,
};
const strangers = {
  /** A notebook pod of JupyterHub in the tenant's namespace. */
  notebook: 'jupyter-john-2edoe',
  /** A claim of JupyterHub's own. */
  hubClaim: 'hub-db-dir',
  /** A volume named like the tenant's but managed by another tool. */
  otherTool: `pv-${tenant}-${user}-other-tool`,
  /** Named by the tenant's template, but on another NFS server than the service's. */
  otherServer: `pv-${tenant}-mallory-default`,
  /** Named by the tenant's template, but over the whole NFS prefix: every school's folder. */
  wholePrefix: `pv-${tenant}-root-default`,
};

const adopt = async (...args: string[]): Promise<{ code: number; report: unknown; stderr: string }> => {
  const env = {
    ...process.env,
    KUBECONFIG: process.env.MOOP_TEST_ADMIN_KUBECONFIG,
    TENANT_SERVICE_URL: process.env.MOOP_TEST_TENANT_SERVICE_URL,
    TENANTS_FILE: '',
    // As the service has them: only volumes on this server, in the tenant's folder, are adopted.
    NFS_SERVER: '10.0.0.2',
    NFS_PREFIX: '/exports/moop/',
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['scripts/adopt.ts', ...args], {
      cwd: projectRoot,
      env,
    });
    return { code: 0, report: JSON.parse(stdout), stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, report: e.stdout ? JSON.parse(e.stdout) : undefined, stderr: e.stderr };
  }
};

/** What volume-service.py and pod-service.py made: the templates filled in, nothing added. */
async function makeAsTheOldServicesDid(): Promise<void> {
  const fill = (s: string, ...values: string[]): string => values.reduce((acc, v) => acc.replace('{}', v), s);
  const t = realTemplates as Record<string, any>;
  await core.createPersistentVolume({
    body: {
      ...t.pv,
      metadata: {
        name: fill(t.pv.metadata.name, tenant, user, 'default'),
        labels: { pv: fill(t.pv.metadata.labels.pv, tenant, user, 'default') },
      },
      spec: { ...t.pv.spec, nfs: { server: '10.0.0.2', path: `/exports/moop/${namespace}/${user}` } },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      ...t.match_pvc,
      metadata: { name: fill(t.match_pvc.metadata.name, tenant, user, 'default'), namespace },
      spec: {
        ...t.match_pvc.spec,
        selector: { matchLabels: { pv: fill(t.match_pvc.spec.selector.matchLabels.pv, tenant, user, 'default') } },
      },
    } as V1PersistentVolumeClaim,
  });
  const { ttlSecondsAfterFinished: _dropped, ...podSpec } = t.pod.spec;
  await core.createNamespacedPod({
    namespace,
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: old.pod, namespace },
      spec: {
        ...podSpec,
        containers: [
          {
            ...podSpec.containers[0],
            args: ['/bin/sh', '-c', 'ls /data'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: old.pvc } }],
      },
    } as V1Pod,
  });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: strangers.notebook, labels: { component: 'singleuser-server' } },
      spec: { containers: [{ name: 'notebook', image: 'jupyter/base-notebook' }] },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { name: strangers.hubClaim },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'none', resources: { requests: { storage: '1Gi' } } },
    },
  });
  await core.createPersistentVolume({
    body: {
      metadata: { name: strangers.otherTool, labels: { 'app.kubernetes.io/managed-by': 'helm' } },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '1Mi' },
        nfs: { server: '10.0.0.2', path: '/elsewhere' },
      },
    },
  });
  for (const [name, nfs] of [
    [strangers.otherServer, { server: '203.0.113.9', path: `/exports/moop/${namespace}/mallory` }],
    [strangers.wholePrefix, { server: '10.0.0.2', path: '/exports/moop/' }],
  ] as const) {
    await core.createPersistentVolume({
      body: { metadata: { name }, spec: { accessModes: ['ReadWriteMany'], capacity: { storage: '1Mi' }, nfs } },
    });
  }
  await until('the old claim to bind and the old Pod to finish', async () => {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: old.pvc, namespace });
    const pod = await core.readNamespacedPod({ name: old.pod, namespace });
    return claim.status?.phase === 'Bound' && pod.status?.phase === 'Succeeded';
  });
}

afterAll(async () => {
  await core.deleteNamespacedPod({ name: old.pod, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespacedPod({ name: strangers.notebook, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  for (const name of [old.pvc, strangers.hubClaim])
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace }).catch(() => undefined);
  for (const name of [old.pv, strangers.otherTool, strangers.otherServer, strangers.wholePrefix]) {
    await core.deletePersistentVolume({ name }).catch(() => undefined);
  }
});

const volumeQuery = { tenant, username: user, tag: 'default' };
const expectedAdopted = [
  `PersistentVolume ${old.pv}`,
  `PersistentVolumeClaim ${namespace}/${old.pvc}`,
  `Pod ${namespace}/${old.pod}`,
].sort();
const expectedLeftAlone = [
  { object: `PersistentVolume ${strangers.otherTool}`, reason: 'managed by helm' },
  {
    object: `PersistentVolume ${strangers.otherServer}`,
    reason: 'on NFS server 203.0.113.9, not 10.0.0.2 (NFS_SERVER)',
  },
  {
    object: `PersistentVolume ${strangers.wholePrefix}`,
    reason: `at /exports/moop/, outside the tenant's NFS folder /exports/moop/${namespace}`,
  },
  {
    object: `PersistentVolumeClaim ${namespace}/${strangers.hubClaim}`,
    reason: "not named by the tenant's claim templates",
  },
  { object: `Pod ${namespace}/${strangers.notebook}`, reason: "not named by the tenant's pod template" },
];

describe('npm run adopt, for objects the Python services made', () => {
  it('are invisible to the routes before adoption; a dry run reports what it would adopt and changes nothing', async () => {
    expect(old.pod).toHaveLength(65);
    await makeAsTheOldServicesDid();
    expect((await call('GET', '/service/v1/volumes/pvs', { query: volumeQuery })).status).toBe(404);

    const dry = await adopt('--tenant', tenant, '--dry-run');

    expect(dry.code).toBe(0);
    expect(dry.report).toEqual({
      tenant,
      namespace,
      dryRun: true,
      adopted: expectedAdopted,
      alreadyManaged: [],
      leftAlone: expectedLeftAlone,
      failures: [],
    });
    expect((await core.readPersistentVolume({ name: old.pv })).metadata?.labels).toEqual({ pv: old.pv });
    expect((await call('GET', '/service/v1/volumes/pvcs', { query: volumeQuery })).status).toBe(404);
  });

  it('adopts them, leaves the others untouched, and a rerun adopts nothing new', async () => {
    const real = await adopt('--tenant', tenant);

    expect(real.code).toBe(0);
    expect(real.report).toEqual({
      tenant,
      namespace,
      dryRun: false,
      adopted: expectedAdopted,
      alreadyManaged: [],
      leftAlone: expectedLeftAlone,
      failures: [],
    });
    expect(real.stderr).toContain('[adopt] adopted 3, already managed 0, left alone 5, failed 0');
    const pv = await core.readPersistentVolume({ name: old.pv });
    expect(pv.metadata?.labels).toEqual({
      pv: old.pv,
      'app.kubernetes.io/managed-by': 'moop-resource-service',
      'moop.io/tenant': tenant,
    });
    // The PV controller's own annotation (it bound the old claim) stays; no user or tag is invented.
    expect(pv.metadata?.annotations).toEqual({
      'moop.io/tenant': tenant,
      'moop.io/adopted': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      'pv.kubernetes.io/bound-by-controller': 'yes',
    });
    expect((await core.readPersistentVolume({ name: strangers.otherTool })).metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'helm',
    });
    for (const name of [strangers.otherServer, strangers.wholePrefix])
      expect((await core.readPersistentVolume({ name })).metadata?.labels).toBeUndefined();
    expect(
      (await core.readNamespacedPod({ name: strangers.notebook, namespace })).metadata?.annotations,
    ).toBeUndefined();

    const rerun = await adopt('--tenant', tenant);
    expect(rerun.report).toEqual({
      tenant,
      namespace,
      dryRun: false,
      adopted: [],
      alreadyManaged: expectedAdopted,
      leftAlone: expectedLeftAlone,
      failures: [],
    });
  });

  it('are then served by the routes under their exact names: read, and deleted', async () => {
    const volume = await call<VolumeAnswer>('GET', '/service/v1/volumes/pvs', { query: volumeQuery });
    const claim = await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', { query: volumeQuery });
    const pod = await call<CopyAnswer<V1Pod>>('GET', '/service/v1/pods', { query: { tenant, name: old.pod } });
    expect([volume.status, volume.body.metadata.name]).toEqual([200, old.pv]);
    expect([claim.status, claim.body.metadata.name, claim.body.status?.phase]).toEqual([200, old.pvc, 'Bound']);
    expect([pod.status, pod.body.metadata.name, pod.body.status?.phase]).toEqual([200, old.pod, 'Succeeded']);
    // Another tenant never reaches them, adopted or not.
    expect(
      (await call('GET', '/service/v1/volumes/pvs', { query: { ...volumeQuery, tenant: tenants.a.id } })).status,
    ).toBe(404);
    expect((await call('GET', '/service/v1/pods', { query: { tenant: tenants.a.id, name: old.pod } })).status).toBe(
      404,
    );

    expect(await call('DELETE', '/service/v1/pods', { query: { tenant, name: old.pod } })).toEqual({
      status: 200,
      body: { deleted: old.pod },
    });
    expect(await call('DELETE', '/service/v1/volumes/pvcs', { query: volumeQuery })).toEqual({
      status: 200,
      body: { deleted: old.pvc },
    });
    expect(await call('DELETE', '/service/v1/volumes/pvs', { query: volumeQuery })).toEqual({
      status: 200,
      body: { deleted: old.pv },
    });
    await until('the adopted objects to be gone', async () => {
      const codes = await Promise.all([
        statusOfCall(core.readNamespacedPod({ name: old.pod, namespace })),
        statusOfCall(core.readNamespacedPersistentVolumeClaim({ name: old.pvc, namespace })),
        statusOfCall(core.readPersistentVolume({ name: old.pv })),
      ]);
      return codes.every((c) => c === 404);
    });
  });

  it('refuses a tenant id that is not an ObjectId, and an unknown tenant, changing nothing', async () => {
    expect(await adopt('--tenant', 'tenant-legacy')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--tenant must be a MOOP tenant id'),
    });
    expect(await adopt('--tenant', '000000000000000000000bad')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('No tenant 000000000000000000000bad.'),
    });
  });
});
