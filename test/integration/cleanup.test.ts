// The cleanup function through serverless-offline's Lambda invoke endpoint, against a mix of managed and unmanaged
// objects of several tenants in the local cluster.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import { recordsNamespace } from '../../lib/ownership/ownership.ts';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import { installRefusal, removeRefusal } from '../support/admission.ts';
import { type ClaimAnswer, type CleanupAnswer, type CopyAnswer, isPod, type VolumeAnswer } from '../support/answers.ts';
import { call, invoke, removeTenant } from '../support/api.ts';
import { admin, eventually, statusOfCall, until } from '../support/cluster.ts';
import { byUserPrefix, managedNames, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';

const prefix = userPrefix('cleanup');
const suffix = randomBytes(3).toString('hex');
const { core, batch } = admin();
const jobs = new Set<string>();
/** Outcomes of this file's Idempotency-Keys, by name (sweep knows them by no user). */
const outcomes = new Set<string>();
const unmanaged = {
  pv: `pv-${tenants.a.id}-${prefix}lookalike-default`,
  claim: `claim-${suffix}`,
  job: `job-unmanaged-${suffix}`,
  pod: `pod-unmanaged-${suffix}`,
};

afterAll(async () => {
  await sweep(
    (o: KubernetesObject) =>
      byUserPrefix(prefix)(o) || jobs.has(o.metadata?.name ?? '') || outcomes.has(o.metadata?.name ?? ''),
  );
  await core.deletePersistentVolume({ name: unmanaged.pv }).catch(() => undefined);
  await batch
    .deleteNamespacedJob({ name: unmanaged.job, namespace: 'tenant-a', propagationPolicy: 'Background' })
    .catch(() => undefined);
  await core
    .deleteNamespacedPod({ name: unmanaged.pod, namespace: 'tenant-a', gracePeriodSeconds: 0 })
    .catch(() => undefined);
});

/** A PV and matching claim for user of tenant, bound, then the claim deleted: the PV ends Released. */
async function releasedVolume(tenant: string, user: string): Promise<string> {
  const pv = await call<VolumeAnswer>('POST', '/service/v1/volumes/pvs', {
    body: { tenant, username: user, path: tenantFolder(tenant, user) },
  });
  await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, match: true } });
  const name = pv.body.metadata.name;
  await until(`${name} to bind`, async () => (await core.readPersistentVolume({ name })).status?.phase === 'Bound');
  await call('DELETE', '/service/v1/volumes/pvcs', { query: { tenant, username: user } });
  await until(
    `${name} to be Released`,
    async () => (await core.readPersistentVolume({ name })).status?.phase === 'Released',
  );
  return name;
}

/** A finished copy of tenant, made by its pod template: a Pod (real records) or a Job (the seeds); "namespace/name". */
async function finishedCopy(tenant: string): Promise<string> {
  const created = (await call<CopyAnswer>('POST', '/service/v1/pods', { body: { tenant, cmd: 'true', wait: 20 } }))
    .body;
  expect(isPod(created) ? created.status?.phase : created.status?.succeeded).toBe(isPod(created) ? 'Succeeded' : 1);
  jobs.add(created.metadata.name);
  return `${created.metadata.namespace}/${created.metadata.name}`;
}

/** An unlabelled PV with a name like the service's, Released, and an unlabelled finished Job and Pod. */
async function unmanagedObjects(): Promise<void> {
  await core.createPersistentVolume({
    body: {
      metadata: { name: unmanaged.pv, labels: { pv: unmanaged.pv } },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '1Mi' },
        nfs: { server: '10.0.0.2', path: '/other' },
      },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace: 'tenant-a',
    body: {
      metadata: { name: unmanaged.claim },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: '',
        resources: { requests: { storage: '1Mi' } },
        selector: { matchLabels: { pv: unmanaged.pv } },
      },
    },
  });
  await until(
    'the unmanaged PV to bind',
    async () => (await core.readPersistentVolume({ name: unmanaged.pv })).status?.phase === 'Bound',
  );
  await core.deleteNamespacedPersistentVolumeClaim({ name: unmanaged.claim, namespace: 'tenant-a' });
  await batch.createNamespacedJob({
    namespace: 'tenant-a',
    body: {
      metadata: { name: unmanaged.job },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] } },
      },
    },
  });
  await core.createNamespacedPod({
    namespace: 'tenant-a',
    body: {
      metadata: { name: unmanaged.pod },
      spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] },
    },
  });
  await until('the unmanaged PV to be Released and its Job and Pod to finish', async () => {
    const pv = await core.readPersistentVolume({ name: unmanaged.pv });
    const job = await batch.readNamespacedJob({ name: unmanaged.job, namespace: 'tenant-a' });
    const pod = await core.readNamespacedPod({ name: unmanaged.pod, namespace: 'tenant-a' });
    return pv.status?.phase === 'Released' && job.status?.succeeded === 1 && pod.status?.phase === 'Succeeded';
  });
}

const phase = async (name: string): Promise<string | undefined> =>
  (await core.readPersistentVolume({ name })).status?.phase;

describe('the cleanup function', () => {
  it('on a schedule, reports in a dry run exactly what the real run then does, touching only managed objects', async () => {
    await unmanagedObjects();
    const volumes = [
      await releasedVolume(tenants.a.id, `${prefix}alice`),
      await releasedVolume(tenants.b.id, `${prefix}bob`),
    ];
    // Tenant a's record makes a Pod, tenant b's (the seeds) a Job.
    const [finishedPod, finishedJob] = [await finishedCopy(tenants.a.id), await finishedCopy(tenants.b.id)];
    const event = { action: 'scheduled', retentionSeconds: 0, pvPolicy: 'recycle' };

    const dry = await invoke<CleanupAnswer>('cleanup', { ...event, dryRun: true });

    expect(dry.error).toBeUndefined();
    expect(dry.payload).toEqual({
      mode: 'scheduled',
      dryRun: true,
      actions: {
        deleteJob: { count: expect.any(Number), names: expect.arrayContaining([finishedJob]) },
        deletePod: { count: expect.any(Number), names: expect.arrayContaining([finishedPod]) },
        recycleVolume: { count: expect.any(Number), names: expect.arrayContaining(volumes) },
      },
      // Earlier files' removed tenants may have left objects: orphans, reported (CLEANUP_ORPHANS=report).
      orphanTenants: expect.any(Array),
      failures: [],
    });
    expect(dry.payload.actions.recycleVolume?.names).not.toContain(unmanaged.pv);
    expect(dry.payload.actions.deleteJob?.names).not.toContain(`tenant-a/${unmanaged.job}`);
    expect(dry.payload.actions.deletePod?.names).not.toContain(`tenant-a/${unmanaged.pod}`);
    // A Job's own pods carry the service's label too, but go with their Job: never listed on their own.
    expect(dry.payload.actions.deletePod?.names.filter((n) => n.startsWith(`${finishedJob}-`))).toEqual([]);
    for (const v of volumes) expect(await phase(v)).toBe('Released');
    const [jobNamespace, jobName] = finishedJob.split('/') as [string, string];
    const [podNamespace, podName] = finishedPod.split('/') as [string, string];
    expect(await statusOfCall(batch.readNamespacedJob({ name: jobName, namespace: jobNamespace }))).toBe('ok');
    expect(await statusOfCall(core.readNamespacedPod({ name: podName, namespace: podNamespace }))).toBe('ok');

    const real = await invoke('cleanup', event);

    expect(real.payload).toEqual({ ...dry.payload, dryRun: false });
    // At once, before the controllers have caught up, a rerun already finds nothing to do.
    expect((await invoke('cleanup', event)).payload).toEqual({
      mode: 'scheduled',
      dryRun: false,
      actions: {},
      orphanTenants: [],
      failures: [],
    });
    for (const v of volumes) await until(`${v} to be Available again`, async () => (await phase(v)) === 'Available');
    await until(`${finishedJob} and its pods to be gone`, async () => {
      const pods = await core.listNamespacedPod({ namespace: jobNamespace, labelSelector: `job-name=${jobName}` });
      return (
        (await statusOfCall(batch.readNamespacedJob({ name: jobName, namespace: jobNamespace }))) === 404 &&
        pods.items.length === 0
      );
    });
    await until(
      `${finishedPod} to be gone`,
      async () => (await statusOfCall(core.readNamespacedPod({ name: podName, namespace: podNamespace }))) === 404,
    );
    expect(await phase(unmanaged.pv)).toBe('Released');
    expect(await statusOfCall(batch.readNamespacedJob({ name: unmanaged.job, namespace: 'tenant-a' }))).toBe('ok');
    expect(await statusOfCall(core.readNamespacedPod({ name: unmanaged.pod, namespace: 'tenant-a' }))).toBe('ok');

    expect((await invoke('cleanup', event)).payload).toEqual({
      mode: 'scheduled',
      dryRun: false,
      actions: {},
      orphanTenants: [],
      failures: [],
    });
  });

  it("under recycle, lets the same user's new claim bind the volume again, data path kept", async () => {
    const user = `${prefix}carol`;
    const volume = await releasedVolume(tenants.a.id, user);
    await invoke('cleanup', { action: 'scheduled', pvPolicy: 'recycle' });

    await call('POST', '/service/v1/volumes/pvcs', { body: { tenant: tenants.a.id, username: user, match: true } });

    const bound = await eventually('the new claim to bind the recycled volume', async () => {
      const answer = await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', {
        query: { tenant: tenants.a.id, username: user },
      });
      return answer.body.status?.phase === 'Bound' ? answer.body : undefined;
    });
    expect(bound.spec?.volumeName).toBe(volume);
    expect((await core.readPersistentVolume({ name: volume })).spec?.nfs?.path).toBe(`/exports/moop/tenant-a/${user}`);
  });

  it('under delete, deletes Released managed volumes, reports one that cannot be deleted, and goes on', async () => {
    const [deletable, guarded] = [
      await releasedVolume(tenants.a.id, `${prefix}dave`),
      await releasedVolume(tenants.a.id, `${prefix}erin`),
    ];
    await guardAgainstDeletion(guarded);
    try {
      const logBefore = readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8').length;
      const result = await invoke<CleanupAnswer>('cleanup', { action: 'scheduled', pvPolicy: 'delete' });

      expect(result.payload.actions.deleteVolume?.names).toContain(deletable);
      expect(result.payload.actions.deleteVolume?.names).not.toContain(guarded);
      expect(result.payload.failures).toEqual([
        { action: 'deleteVolume', name: guarded, error: expect.stringMatching(/cleanup-test-guard/) },
      ]);
      // The run's counts as CloudWatch embedded metrics, which the template's cleanup alarm reads.
      const emf = await eventually("the run's metrics in the log", async () => {
        const lines = readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8')
          .slice(logBefore)
          .split('\n')
          .filter((l) => l.includes('"CleanupFailures"'));
        return lines.length > 0 ? (JSON.parse(lines.at(-1)!) as Record<string, unknown>) : undefined;
      });
      expect(emf).toMatchObject({
        // Beside the run's upstream latencies (KubernetesApiLatency, TenantServiceLatency).
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'MOOP/ResourceService',
              Dimensions: [['service']],
              Metrics: expect.arrayContaining([{ Name: 'CleanupFailures', Unit: 'Count' }]),
            },
          ],
        },
        service: 'moop-resource-service',
        CleanupFailures: 1,
      });
      await until(
        `${deletable} to be gone`,
        async () => (await statusOfCall(core.readPersistentVolume({ name: deletable }))) === 404,
      );
      expect(await phase(guarded)).toBe('Released');
      expect(await phase(unmanaged.pv)).toBe('Released');
    } finally {
      await unguard();
    }
  });

  it('for a removed tenant, deletes its claims, volumes, Pods and records everywhere, and nothing of other tenants', async () => {
    const leaving = tenants.leaving.id;
    const user = `${prefix}frank`;
    await call('POST', '/service/v1/volumes/pvs', { body: { tenant: leaving, username: user, path: 'tenant-c/f' } });
    await call('POST', '/service/v1/volumes/pvcs', { body: { tenant: leaving, username: user, match: true } });
    await call('POST', '/service/v1/volumes/pvcs', { body: { tenant: leaving, username: user, tag: 'plain' } });
    const pod = await finishedCopy(leaving);
    const stays = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: { tenant: tenants.a.id, username: user },
    });
    // A request's outcome kept under its Idempotency-Key, in the records namespace (a removal of no one: nothing else
    // made); and another tenant's, which stays.
    const records = async (tenant: string) =>
      (
        await core.listNamespacedConfigMap({ namespace: recordsNamespace, labelSelector: `moop.io/tenant=${tenant}` })
      ).items.map((m) => `${recordsNamespace}/${m.metadata!.name}`);
    const removal = (tenant: string) =>
      call('POST', '/service/v1/volumes/rosters/removals', {
        body: { tenant, students: [{ username: `${prefix}nobody` }] },
        headers: { 'idempotency-key': `cleanup-${suffix}` },
      });
    const before = await records(tenants.a.id);
    expect([(await removal(leaving)).status, (await removal(tenants.a.id)).status]).toEqual([200, 200]);
    const [outcome, ...others] = await records(leaving);
    expect([outcome, others]).toEqual([expect.stringMatching(`^${recordsNamespace}/outcome-${leaving}-`), []]);
    const kept = await records(tenants.a.id);
    for (const name of [outcome!, ...kept.filter((n) => !before.includes(n))]) outcomes.add(name.split('/')[1]!);
    expect(kept).toHaveLength(before.length + 1);

    const refused = await invoke('cleanup', { action: 'tenant-removed', tenant: leaving });
    expect(refused).toEqual({
      error: 'Unhandled',
      payload: expect.objectContaining({
        errorMessage: expect.stringMatching(
          /^Tenant 5c88a9ec5b6c2e3c4a3b2d1c still exists in the tenant service; nothing was deleted/,
        ),
      }),
    });

    await removeTenant(leaving);
    const dry = await invoke<CleanupAnswer>('cleanup', { action: 'tenant-removed', tenant: leaving, dryRun: true });
    expect(dry.payload).toEqual({
      mode: 'tenant-removed',
      dryRun: true,
      tenant: leaving,
      actions: {
        deleteClaim: {
          count: 2,
          names: [`tenant-c/pvc-${leaving}-${user}-default`, `tenant-c/pvc-${leaving}-${user}-plain`],
        },
        deletePod: { count: 1, names: [pod] },
        deleteRecord: { count: 1, names: [outcome] },
        deleteVolume: { count: 1, names: [`pv-${leaving}-${user}-default`] },
      },
      failures: [],
    });

    const real = await invoke('cleanup', { action: 'tenant-removed', tenant: leaving });

    expect(real.payload).toEqual({ ...dry.payload, dryRun: false });
    await until("the tenant's objects to be gone", async () => {
      const [pvs, pvcs, pods] = await Promise.all([
        core.listPersistentVolume({ labelSelector: `moop.io/tenant=${leaving}` }),
        core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: `moop.io/tenant=${leaving}` }),
        core.listPodForAllNamespaces({ labelSelector: `moop.io/tenant=${leaving}` }),
      ]);
      return pvs.items.length + pvcs.items.length + pods.items.length === 0;
    });
    expect([await records(leaving), await records(tenants.a.id)]).toEqual([[], kept]);
    expect(
      await statusOfCall(
        core.readNamespacedPersistentVolumeClaim({ name: stays.body.metadata.name, namespace: 'tenant-a' }),
      ),
    ).toBe('ok');
    expect(
      (await invoke<CleanupAnswer>('cleanup', { action: 'tenant-removed', tenant: leaving })).payload.actions,
    ).toEqual({});
  });

  it('drops an event it does not understand, changing nothing and answering without an error, so that it is not retried', async () => {
    const before = await managedNames();

    expect(await invoke('cleanup', { action: 'everything' })).toEqual({
      payload: {
        dropped: true,
        code: 'INVALID_EVENT',
        error: expect.stringMatching(/^Invalid cleanup event: action: /),
      },
    });
    expect(await invoke('cleanup', { 'detail-type': 'Object Created', detail: {} })).toEqual({
      payload: {
        dropped: true,
        code: 'INVALID_EVENT',
        error: 'Cleanup does not handle EventBridge events of type "Object Created".',
      },
    });
    expect(await managedNames()).toEqual(before);
    await until('the drop to be logged', async () =>
      readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8').includes('"message":"cleanup event dropped"'),
    );
  });
});

// The API server itself refuses to delete one PV (a ValidatingAdmissionPolicy).
const policyName = `cleanup-test-guard-${suffix}`;
async function guardAgainstDeletion(pv: string): Promise<void> {
  await installRefusal({
    name: policyName,
    operation: 'DELETE',
    resource: 'persistentvolumes',
    allowWhen: `oldObject.metadata.name != '${pv}'`,
  });
  await until(
    'the admission policy to take effect',
    async () => (await statusOfCall(core.deletePersistentVolume({ name: pv, dryRun: 'All' }))) !== 'ok',
  );
}

const unguard = (): Promise<void> => removeRefusal(policyName);
