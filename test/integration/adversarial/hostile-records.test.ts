// Tenant records whose templates are hostile (the tenant service has no auth of its own, so a record is not trusted):
// each is refused through the routes before anything is made, naming the field; a record that names another school's
// namespace is refused by the cluster, for volumes as well as for claims and copies.
import { hostile, tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { managedNames } from '../../support/managed.ts';
import { userPrefix } from '../../support/names.ts';

const prefix = userPrefix('hr');
const student = (tenant: string) => ({ tenant, username: `${prefix}alice`, tag: 'default' });
const volume = (tenant: string) =>
  call('POST', '/service/v1/volumes/pvs', { body: { ...student(tenant), path: 'tenant-hostile/alice' } });
const claim = (tenant: string, match = false) =>
  call('POST', '/service/v1/volumes/pvcs', { body: { ...student(tenant), match } });
const copy = (tenant: string) => call('POST', '/service/v1/pods', { body: { tenant, cmd: 'true' } });

describe('a tenant record whose templates ask for what the service never makes', () => {
  it.each([
    [
      'a volume the cluster would wipe when its claim goes (Recycle)',
      () => volume(hostile.recycle.id),
      'pv',
      'spec.persistentVolumeReclaimPolicy',
    ],
    ['a volume over the NFS root', () => volume(hostile.nfsRoot.id), 'pv', 'spec.nfs.path'],
    ["a volume over another school's folder", () => volume(hostile.otherFolder.id), 'pv', 'spec.nfs.path'],
    ['a volume on a foreign NFS server', () => volume(hostile.foreignServer.id), 'pv', 'spec.nfs.server'],
    ['a CSI volume with a secret of kube-system', () => volume(hostile.csi.id), 'pv', 'spec.csi'],
    [
      "a claim that names an operator's volume",
      () => claim(hostile.namedVolume.id, true),
      'match_pvc',
      'spec.volumeName',
    ],
    [
      'a plain claim that binds any volume that fits',
      () => claim(hostile.anyVolume.id),
      'pvc',
      'spec.storageClassName',
    ],
    ["a claim cloned from the hub's database", () => claim(hostile.clonedHub.id), 'pvc', 'spec.dataSource'],
    [
      'a claim of no storage class, by annotation',
      () => claim(hostile.classByAnnotation.id),
      'pvc',
      'metadata.annotations.volume.beta.kubernetes.io/storage-class',
    ],
    [
      "a volume reserved for the hub's own claim",
      () => volume(hostile.hubClaimName.id),
      'pv',
      'the claim name it is reserved for',
    ],
    [
      "a copy that mounts the hub's claim itself",
      () => copy(hostile.hubClaimMounted.id),
      'pod',
      'spec.volumes[0].persistentVolumeClaim',
    ],
    ["a copy that mounts the hub's ConfigMap", () => copy(hostile.hubConfig.id), 'pod', 'spec.volumes[0].configMap'],
    ["a copy with the hub's labels", () => copy(hostile.hubLabels.id), 'pod', 'metadata.labels.app'],
    ['a copy that restarts for ever', () => copy(hostile.restarts.id), 'pod', 'spec.restartPolicy'],
    ['a copy of an image from anywhere', () => copy(hostile.anyImage.id), 'pod', 'spec.containers[0].image'],
    ['a copy that tolerates every taint', () => copy(hostile.anyNode.id), 'pod', 'spec.tolerations[0]'],
    ['a copy without seccomp', () => copy(hostile.unconfined.id), 'pod', 'spec.securityContext.seccompProfile.type'],
    [
      "a copy that probes the node's kubelet",
      () => copy(hostile.nodeProbe.id),
      'pod',
      'spec.containers[0].livenessProbe',
    ],
  ])(
    'asking for %s is a 422 TEMPLATE_UNSAFE naming the field, and nothing is made',
    async (_what, request, template, field) => {
      const before = await managedNames();
      const answer = await request();
      expect(answer).toEqual({
        status: 422,
        body: {
          error: expect.stringContaining(`"${template}" template asks for what the service never makes: ${field} (`),
          code: 'TEMPLATE_UNSAFE',
          details: expect.arrayContaining([{ field, message: expect.any(String) }]),
        },
      });
      expect(await managedNames()).toEqual(before);
    },
  );
});

describe("a tenant record that names another school's namespace", () => {
  const id = hostile.otherNamespace.id;
  const refused = () => ({
    status: 422,
    body: {
      error: expect.stringContaining(
        `the MOOP resource service may act for tenant ${id} only in a namespace prepared for that tenant`,
      ),
      code: 'REFUSED_BY_POLICY',
    },
  });

  it.each([
    [
      'a volume in its folder',
      () => call('POST', '/service/v1/volumes/pvs', { body: { ...student(id), path: 'tenant-b/alice' } }),
    ],
    ['a claim', () => claim(id, true)],
    ['a copy', () => copy(id)],
  ])('gets no %s there: the cluster refuses, and nothing is made', async (_what, request) => {
    const before = await managedNames();
    expect(await request()).toEqual(refused());
    expect(await managedNames()).toEqual(before);
  });

  it("reads nothing of that school's", async () => {
    const theirs = { ...student(tenants.b.id), username: `${prefix}bob` };
    expect((await call('POST', '/service/v1/volumes/pvcs', { body: theirs })).status).toBe(201);
    expect((await call('GET', '/service/v1/volumes/pvcs', { query: { ...theirs, tenant: id } })).status).toBe(404);
    expect((await call('DELETE', '/service/v1/volumes/pvcs', { query: theirs })).status).toBe(200);
  });
});
