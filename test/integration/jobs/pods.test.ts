// /service/v1/pods through serverless-offline: copy Jobs run on kwok nodes of the local cluster.
import type { KubernetesObject } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { admin, eventually } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/pods';
const prefix = userPrefix('jobs');
const tenant = tenants.a.id;
const namespace = 'tenant-a';
const { core, batch } = admin();
const jobs = new Set<string>();

afterAll(() => sweep((o: KubernetesObject) => byUserPrefix(prefix)(o) || jobs.has(o.metadata?.name ?? '')));

/** A PV and a matching claim for user and tag, bound; returns the claim's name. */
async function boundClaim(user: string, tag: string): Promise<string> {
  await call('POST', '/service/v1/volumes/pvs', { body: { tenant, username: user, tag, path: `${user}/${tag}` } });
  const created = await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user, tag, match: true } });
  const name: string = created.body.metadata.name;
  await eventually(`claim ${name} to bind`, async () =>
    (await core.readNamespacedPersistentVolumeClaim({ name, namespace })).status?.phase === 'Bound' ? true : undefined,
  );
  return name;
}

async function podsOf(job: string): Promise<{ name: string; node?: string; phase?: string }[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return pods.items.map((p) => ({ name: p.metadata!.name!, node: p.spec?.nodeName, phase: p.status?.phase }));
}

describe('POST, GET and DELETE /service/v1/pods', () => {
  it('runs a Job mounting two claims on a kwok node to completion, shows it, and deletes it with its pods', async () => {
    const user = `${prefix}alice`;
    const [source, dest] = await Promise.all([boundClaim(user, 'src'), boundClaim(user, 'dest')]);
    const cmd = 'cp -r /src/* /dest/ && echo "done; $(date)"';

    const created = await call('POST', path, {
      body: { tenant, cmd, vols: [{ pvc: source, mount: '/src', subpath: 'course' }, { pvc: dest, mount: '/dest' }], wait: 20 },
    });

    expect(created.status).toBe(201);
    const name: string = created.body.metadata.name;
    jobs.add(name);
    expect(name).toMatch(/^job-5c88a9ec5b6c2e3c4a3b2d1a-[a-z2-7]{8}$/);
    expect(created.body.kind).toBe('Job');
    expect(created.body.metadata.namespace).toBe(namespace);
    expect(created.body.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant });
    expect(created.body.spec.template.spec.containers[0]).toMatchObject({
      name: 'copy',
      image: 'busybox:1.28.4',
      args: ['/bin/sh', '-c', cmd],
      volumeMounts: [
        { name: 'moop-vol-0', mountPath: '/src', subPath: 'course' },
        { name: 'moop-vol-1', mountPath: '/dest' },
      ],
    });
    expect(created.body.spec.template.spec.volumes).toEqual([
      { name: 'moop-vol-0', persistentVolumeClaim: { claimName: source } },
      { name: 'moop-vol-1', persistentVolumeClaim: { claimName: dest } },
    ]);
    expect(created.body.status).toMatchObject({ succeeded: 1, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]) });
    const pods = await podsOf(name);
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((p) => p.node?.startsWith('kwok-node-') && p.phase === 'Succeeded')).toBe(true);

    const read = await call('GET', path, { query: { tenant, name } });
    expect(read.status).toBe(200);
    expect(read.body.metadata.uid).toBe(created.body.metadata.uid);
    expect(read.body.status).toMatchObject({ succeeded: 1, conditions: expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]) });

    expect(await call('DELETE', path, { query: { tenant, name } })).toEqual({ status: 200, body: { deleted: name } });
    await eventually('the Job and its pods to be gone', async () => {
      const left = await batch.listNamespacedJob({ namespace, fieldSelector: `metadata.name=${name}` });
      return left.items.length === 0 && (await podsOf(name)).length === 0 ? true : undefined;
    });
    expect(await call('GET', path, { query: { tenant, name } })).toEqual({
      status: 404,
      body: { error: `No Job ${namespace}/${name} for tenant ${tenant}.`, code: 'OBJECT_NOT_FOUND' },
    });
  });

  it("runs the seed's own template unchanged, and keeps the finished Job readable despite its TTL of 0", async () => {
    const created = await call('POST', path, { body: { tenant, cmd: 'true', wait: 20 } });
    jobs.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.spec).toMatchObject({ ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 3600, backoffLimit: 2 });
    expect(created.body.status.succeeded).toBe(1);
    const later = await call('GET', path, { query: { tenant, name: created.body.metadata.name } });
    expect(later.status).toBe(200);
    expect(later.body.status.succeeded).toBe(1);
  });

  it('answers at once without wait, while the Job is still running', async () => {
    const created = await call('POST', path, { body: { tenant, cmd: 'sleep 1' } });
    jobs.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.status ?? {}).not.toHaveProperty('succeeded');
  });

  it('gives a tenant with the longest id a valid Job name of at most 63 characters', async () => {
    const created = await call('POST', path, { body: { tenant: tenants.longId.id, cmd: 'true' } });
    jobs.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.metadata.name.length).toBeLessThanOrEqual(63);
    expect(created.body.metadata.name).toMatch(/^job-long-x+-[a-z2-7]{10}$/);
    const pods = await eventually('the Job to make a pod', async () => ((await podsOf(created.body.metadata.name)).length > 0 ? true : undefined));
    expect(pods).toBe(true);
  });

  it("never shows or deletes another tenant's Job", async () => {
    const created = await call('POST', path, { body: { tenant, cmd: 'true' } });
    const name: string = created.body.metadata.name;
    jobs.add(name);

    // tenant longId shares namespace tenant-a: same name, same namespace, still not its Job.
    expect((await call('GET', path, { query: { tenant: tenants.longId.id, name } })).status).toBe(404);
    expect((await call('DELETE', path, { query: { tenant: tenants.longId.id, name } })).status).toBe(404);
    expect((await call('GET', path, { query: { tenant: tenants.b.id, name } })).status).toBe(404);
    expect((await call('GET', path, { query: { tenant, name } })).status).toBe(200);
  });
});
