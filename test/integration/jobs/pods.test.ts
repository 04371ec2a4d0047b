// /service/v1/pods through serverless-offline: copy Pods (real MOOP tenant records) and Jobs (the seeds) run on kwok
// nodes of the local cluster.
import type { KubernetesObject, V1Job, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { tenantFolder, tenants } from '../../fixtures/tenants.ts';
import { type ClaimAnswer, type CopyAnswer, isPod } from '../../support/answers.ts';
import { call } from '../../support/api.ts';
import { admin, statusOfCall, until } from '../../support/cluster.ts';
import { byUserPrefix, sweep } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const path = '/service/v1/pods';
const prefix = userPrefix('jobs');
const { core, batch } = admin();
const made = new Set<string>();

afterAll(() => sweep((o: KubernetesObject) => byUserPrefix(prefix)(o) || made.has(o.metadata?.name ?? '')));

/** A PV and a matching claim for user and tag of tenant, bound; returns the claim's name. */
async function boundClaim(tenant: string, namespace: string, user: string, tag: string): Promise<string> {
  await call('POST', '/service/v1/volumes/pvs', {
    body: { tenant, username: user, tag, path: tenantFolder(tenant, `${user}/${tag}`) },
  });
  const created = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
    body: { tenant, username: user, tag, match: true },
  });
  const name = created.body.metadata.name;
  await until(
    `claim ${name} to bind`,
    async () => (await core.readNamespacedPersistentVolumeClaim({ name, namespace })).status?.phase === 'Bound',
  );
  return name;
}

async function podsOf(job: string, namespace: string): Promise<{ name: string; node?: string; phase?: string }[]> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
  return pods.items.map((p) => ({ name: p.metadata!.name!, node: p.spec?.nodeName, phase: p.status?.phase }));
}

const podSpecOf = (o: CopyAnswer): V1PodSpec | undefined => (isPod(o) ? o.spec : o.spec?.template.spec);
const succeeded = (o: CopyAnswer): boolean =>
  isPod(o)
    ? o.status?.phase === 'Succeeded'
    : o.status?.succeeded === 1 &&
      (o.status.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

const kinds = [
  {
    kind: 'Pod',
    record: 'a real tenant record',
    tenant: tenants.a.id,
    namespace: 'tenant-a',
    image: 'registry.mooplab.com:8443/gitbox/alpine-git:lastest',
  },
  { kind: 'Job', record: "the seeds' template", tenant: tenants.b.id, namespace: 'tenant-b', image: 'busybox:1.28.4' },
] as const;

describe.each(kinds)(
  'POST, GET and DELETE /service/v1/pods making a $kind ($record)',
  ({ kind, tenant, namespace, image }) => {
    it(`runs a ${kind} mounting two claims on a kwok node to completion, shows it, and deletes it`, async () => {
      const user = `${prefix}alice`;
      const [source, dest] = await Promise.all([
        boundClaim(tenant, namespace, user, 'src'),
        boundClaim(tenant, namespace, user, 'dest'),
      ]);
      const cmd = 'cp -r /src/* /dest/ && echo "done; $(date)"';

      const created = await call<CopyAnswer>('POST', path, {
        body: {
          tenant,
          cmd,
          vols: [
            { pvc: source, mount: '/src', subpath: 'course' },
            { pvc: dest, mount: '/dest', subpath: '' },
          ],
          wait: 20,
        },
      });

      expect(created.status).toBe(201);
      const name = created.body.metadata.name;
      made.add(name);
      expect(name).toMatch(new RegExp(`^job-${tenant}-[a-z2-7]{8}$`));
      expect(created.body.kind).toBe(kind);
      expect(created.body.metadata.namespace).toBe(namespace);
      expect(created.body.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': tenant,
      });
      expect(podSpecOf(created.body)?.containers[0]).toMatchObject({
        name: 'copy',
        image,
        args: ['/bin/sh', '-c', cmd],
        volumeMounts: [
          { name: 'moop-vol-0', mountPath: '/src', subPath: 'course' },
          { name: 'moop-vol-1', mountPath: '/dest' },
        ],
      });
      expect(podSpecOf(created.body)?.volumes).toEqual([
        { name: 'moop-vol-0', persistentVolumeClaim: { claimName: source } },
        { name: 'moop-vol-1', persistentVolumeClaim: { claimName: dest } },
      ]);
      expect(succeeded(created.body)).toBe(true);

      const read = await call<CopyAnswer>('GET', path, { query: { tenant, name } });
      expect(read.status).toBe(200);
      expect(read.body.metadata.uid).toBe(created.body.metadata.uid);
      expect(succeeded(read.body)).toBe(true);

      expect(await call('DELETE', path, { query: { tenant, name } })).toEqual({ status: 200, body: { deleted: name } });
      await until(`the ${kind} and its pods to be gone`, async () => {
        const gone =
          kind === 'Pod'
            ? (await statusOfCall(core.readNamespacedPod({ name, namespace }))) === 404
            : (await statusOfCall(batch.readNamespacedJob({ name, namespace }))) === 404 &&
              (await podsOf(name, namespace)).length === 0;
        return gone;
      });
      const other = kind === 'Pod' ? 'Job' : 'Pod';
      expect(await call('GET', path, { query: { tenant, name } })).toEqual({
        status: 404,
        body: {
          error: `No ${kind} ${namespace}/${name} or ${other} ${namespace}/${name} for tenant ${tenant}.`,
          code: 'OBJECT_NOT_FOUND',
        },
      });
    });

    it('answers at once without wait, while it is still running', async () => {
      const created = await call<CopyAnswer>('POST', path, { body: { tenant, cmd: 'sleep 1' } });
      made.add(created.body.metadata.name);

      expect(created.status).toBe(201);
      expect(succeeded(created.body)).toBe(false);
    });

    it("never shows or deletes another tenant's, even in a namespace they share", async () => {
      const created = await call<CopyAnswer>('POST', path, { body: { tenant, cmd: 'true' } });
      const name = created.body.metadata.name;
      made.add(name);

      for (const other of [tenants.neighbour.id, tenant === tenants.a.id ? tenants.b.id : tenants.a.id]) {
        expect((await call('GET', path, { query: { tenant: other, name } })).status).toBe(404);
        expect((await call('DELETE', path, { query: { tenant: other, name } })).status).toBe(404);
      }
      expect((await call('GET', path, { query: { tenant, name } })).status).toBe(200);
    });
  },
);

describe('the pod templates as tenants hold them', () => {
  it("makes the real record's Pod although it carries the Job field ttlSecondsAfterFinished, and keeps it readable once finished", async () => {
    const created = await call<CopyAnswer<V1Pod>>('POST', path, {
      body: { tenant: tenants.a.id, cmd: 'true', wait: 20 },
    });
    made.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(created.body.spec).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: 3600 });
    const later = await call<CopyAnswer<V1Pod>>('GET', path, {
      query: { tenant: tenants.a.id, name: created.body.metadata.name },
    });
    expect(later.body.status?.phase).toBe('Succeeded');
  });

  it("runs the seed's Job unchanged, and keeps the finished Job readable despite its TTL of 0", async () => {
    const created = await call<CopyAnswer<V1Job>>('POST', path, {
      body: { tenant: tenants.b.id, cmd: 'true', wait: 20 },
    });
    made.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.spec).toMatchObject({
      ttlSecondsAfterFinished: 3600,
      activeDeadlineSeconds: 3600,
      backoffLimit: 2,
    });
    expect(created.body.status?.succeeded).toBe(1);
    const later = await call<CopyAnswer<V1Job>>('GET', path, {
      query: { tenant: tenants.b.id, name: created.body.metadata.name },
    });
    expect(later.body.status?.succeeded).toBe(1);
  });

  it('takes vols as the launcher sends them: subpath "" and null mount the claim root', async () => {
    const user = `${prefix}root`;
    const claim = await boundClaim(tenants.a.id, 'tenant-a', user, 'default');

    const created = await call<CopyAnswer<V1Pod>>('POST', path, {
      body: {
        tenant: tenants.a.id,
        cmd: 'ls /a /b',
        vols: [
          { pvc: claim, mount: '/a', subpath: '' },
          { pvc: claim, mount: '/b', subpath: null },
        ],
      },
    });
    made.add(created.body.metadata.name);

    expect(created.status).toBe(201);
    expect(created.body.spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'moop-vol-0', mountPath: '/a' },
      { name: 'moop-vol-0', mountPath: '/b' },
    ]);
  });
});
