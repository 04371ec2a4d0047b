// Copies that really run: on the local cluster's real node (kubelet, containerd, runc), a copy Pod or Job runs busybox
// over the tenant's claims and the files land on disk; its failures are the node's own, not kwok's. The operator's
// course material and a student's folder are hostPath volumes an admin makes, claimed through the service's match
// claims, as MOOP's NFS volumes are. (MOOP_REAL_NODE=off runs the cluster without the node and skips this file.)

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, CleanupAnswer, CopyAnswer } from '../../support/answers.ts';
import { call, invoke } from '../../support/api.ts';
import { until } from '../../support/cluster.ts';
import { hostVolumes } from '../../support/host-volumes.ts';
import { sweep } from '../../support/managed.ts';

const onNode = process.env.MOOP_REAL_NODE === 'off' ? describe.skip : describe;
const suffix = randomBytes(3).toString('hex');
const path = '/service/v1/pods';
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
const made = new Set<string>();

const host = hostVolumes(suffix);
const hostVolume = host.claim;
const folder = host.folder;

/** POSTs a copy for tenant, whose pod template makes an O; returns the answer and how long it took. */
async function copy<O extends V1Pod | V1Job>(
  tenant: string,
  body: object,
): Promise<{ ms: number; status: number; body: CopyAnswer<O> }> {
  const started = Date.now();
  const answer = await call<CopyAnswer<O>>('POST', path, { body: { tenant, wait: 20, ...body } });
  made.add(answer.body.metadata?.name);
  return { ms: Date.now() - started, ...answer };
}

afterAll(async () => {
  await sweep((o: KubernetesObject) => made.has(o.metadata?.name ?? '') || (o.metadata?.name ?? '').includes(suffix));
  await host.remove();
});

onNode('copies on the real node', () => {
  let course: string;
  let student: string;
  let studentDir: string;
  /** The same folders claimed by the Job tenant: a school mounts only its own claims. */
  let jobCourse: string;
  let jobStudent: string;

  beforeAll(async () => {
    const courseDir = folder('course');
    mkdirSync(join(courseDir, 'ds101/week1/data'), { recursive: true });
    writeFileSync(join(courseDir, 'ds101/week1/intro.ipynb'), '{"cells": []}\n');
    writeFileSync(join(courseDir, 'ds101/week1/data/iris.csv'), 'sepal,petal\n5.1,1.4\n');
    writeFileSync(join(courseDir, 'ds101/read me.txt'), 'spaces survive\n');
    studentDir = folder('student');
    [course, student, jobCourse, jobStudent] = await Promise.all([
      hostVolume(tenants.realPod.id, 'course', courseDir),
      hostVolume(tenants.realPod.id, 'alice', studentDir),
      hostVolume(tenants.realJob.id, 'course', courseDir),
      hostVolume(tenants.realJob.id, 'alice', studentDir),
    ]);
  });

  it("copies a course's files, nested folders included, into a student's folder with a Pod, and GET says it succeeded", async () => {
    const created = await copy<V1Pod>(tenants.realPod.id, {
      cmd: 'cp -r /src/* /dest/',
      vols: [
        { pvc: course, mount: '/src', subpath: 'ds101' },
        { pvc: student, mount: '/dest', subpath: 'alice/ds101' },
      ],
    });

    expect(created.status).toBe(201);
    expect(created.body.kind).toBe('Pod');
    expect(created.body.status?.phase).toBe('Succeeded');
    expect(created.body.statusReason).toBeUndefined();
    expect(readdirSync(join(studentDir, 'alice/ds101'), { recursive: true }).sort()).toEqual([
      'read me.txt',
      'week1',
      'week1/data',
      'week1/data/iris.csv',
      'week1/intro.ipynb',
    ]);
    expect(readFileSync(join(studentDir, 'alice/ds101/week1/data/iris.csv'), 'utf8')).toBe('sepal,petal\n5.1,1.4\n');
    const read = await call<CopyAnswer<V1Pod>>('GET', path, {
      query: { tenant: tenants.realPod.id, name: created.body.metadata.name },
    });
    expect([read.status, read.body.status?.phase, read.body.spec?.nodeName, read.body.statusReason]).toEqual([
      200,
      'Succeeded',
      'moop-real-node',
      undefined,
    ]);
  });

  it('runs with no capability but what a root copy needs, as the kernel sees it: owners, modes and times kept, no raw sockets', async () => {
    const cmd = [
      'mkdir -p /dest/caps',
      "grep -E '^Cap(Eff|Bnd)' /proc/self/status > /dest/caps/status",
      "touch -d '2001-02-03 04:05:06' /dest/caps/old && chown 1000:1000 /dest/caps/old && chmod 640 /dest/caps/old",
      '(ping -c 1 -W 1 127.0.0.1 > /dev/null 2>&1; echo $? > /dest/caps/ping)',
    ].join(' && ');
    const created = await copy<V1Pod>(tenants.realPod.id, { cmd, vols: [{ pvc: student, mount: '/dest' }] });

    expect([created.status, created.body.status?.phase]).toEqual([201, 'Succeeded']);
    // CHOWN, DAC_OVERRIDE, FOWNER, FSETID: bits 0, 1, 3 and 4. NET_RAW (13), SETUID, MKNOD, ... are gone, for good.
    expect(readFileSync(join(studentDir, 'caps/status'), 'utf8')).toBe(
      'CapEff:\t000000000000001b\nCapBnd:\t000000000000001b\n',
    );
    const old = statSync(join(studentDir, 'caps/old'));
    expect([old.uid, old.gid, (old.mode & 0o777).toString(8), old.mtime.getUTCFullYear()]).toEqual([
      1000,
      1000,
      '640',
      2001,
    ]);
    expect(readFileSync(join(studentDir, 'caps/ping'), 'utf8').trim()).not.toBe('0');
  });

  it('runs cmd as /bin/sh -c runs it, quotes and && included, in a Job', async () => {
    const cmd = `mkdir -p /dest/job && printf '%s\\n' "it's \\"quoted\\"" 'a && b' > /dest/job/out.txt && cd /src && ls > /dest/job/list.txt`;
    const created = await copy<V1Job>(tenants.realJob.id, {
      cmd,
      vols: [
        { pvc: jobCourse, mount: '/src' },
        { pvc: jobStudent, mount: '/dest', subpath: '' },
      ],
    });

    expect(created.status).toBe(201);
    expect(created.body.kind.toLowerCase()).toBe('job');
    expect(created.body.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    expect(readFileSync(join(studentDir, 'job/out.txt'), 'utf8')).toBe('it\'s "quoted"\na && b\n');
    expect(readFileSync(join(studentDir, 'job/list.txt'), 'utf8')).toBe('ds101\n');
    const read = await call<CopyAnswer<V1Job>>('GET', path, {
      query: { tenant: tenants.realJob.id, name: created.body.metadata.name },
    });
    expect([read.status, read.body.status?.succeeded, read.body.statusReason]).toEqual([200, 1, undefined]);
  });

  it('says a command failed with its exit code, as soon as it has', async () => {
    const created = await copy<V1Pod>(tenants.realPod.id, {
      cmd: 'echo copying; exit 3',
      vols: [{ pvc: student, mount: '/dest' }],
    });

    expect(created.status).toBe(201);
    expect(created.body.status?.phase).toBe('Failed');
    expect(created.body.statusReason).toEqual({
      phase: 'Failed',
      reason: 'Error',
      message: 'container copy exited with code 3',
      lastSeen: timestamp,
    });
    expect(created.ms).toBeLessThan(15_000);
    const read = await call<CopyAnswer>('GET', path, {
      query: { tenant: tenants.realPod.id, name: created.body.metadata.name },
    });
    expect(read.body.statusReason).toEqual(created.body.statusReason);
  });

  it("says the real record's image is not on the node (no registry), and the wait ends early", async () => {
    const created = await copy<V1Pod>(tenants.realMissingImage.id, { cmd: 'true' });

    expect(created.status).toBe(201);
    expect(created.body.statusReason).toEqual({
      phase: 'Pending',
      reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/),
      message: expect.stringContaining('registry.mooplab.com:8443/gitbox/alpine-git:lastest'),
    });
    expect(created.ms).toBeLessThan(15_000);
    const read = await call<CopyAnswer>('GET', path, {
      query: { tenant: tenants.realMissingImage.id, name: created.body.metadata.name },
    });
    expect(read.body.statusReason).toMatchObject({
      phase: 'Pending',
      reason: expect.stringMatching(/^(ErrImagePull|ImagePullBackOff)$/),
    });
  });

  it('says a service-made NFS volume cannot be mounted (this kernel has no NFS), and the wait ends early', async () => {
    const username = `nfs-${suffix}`;
    expect(
      (
        await call('POST', '/service/v1/volumes/pvs', {
          body: { tenant: tenants.realPod.id, username, path: 'tenant-real/nfs' },
        })
      ).status,
    ).toBe(201);
    const claim = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
      body: { tenant: tenants.realPod.id, username, match: true },
    });
    await until('the NFS claim to bind', async () => {
      const read = await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', {
        query: { tenant: tenants.realPod.id, username },
      });
      return read.body.status?.phase === 'Bound';
    });

    const created = await copy<V1Pod>(tenants.realPod.id, {
      cmd: 'ls /data',
      vols: [{ pvc: claim.body.metadata.name, mount: '/data' }],
    });

    expect(created.status).toBe(201);
    expect(created.body.statusReason).toEqual({
      phase: 'Pending',
      reason: 'FailedMount',
      // kubelet's own message runs over six lines and names the node's folders: one line of what failed is kept.
      message: `MountVolume.SetUp failed for volume "pv-${tenants.realPod.id}-${username}-default" : mount failed: exit status 32: unknown filesystem type 'nfs'.`,
      lastSeen: timestamp,
    });
    expect(created.ms).toBeLessThan(15_000);
    const read = await call<CopyAnswer>('GET', path, {
      query: { tenant: tenants.realPod.id, name: created.body.metadata.name },
    });
    expect(read.body.statusReason).toMatchObject({
      reason: 'FailedMount',
      message: created.body.statusReason?.message,
    });
  });

  it('retires the failed Pods and Jobs once past their retention', async () => {
    const failedPod = await copy<V1Pod>(tenants.realPod.id, {
      cmd: 'exit 4',
      vols: [{ pvc: student, mount: '/dest' }],
    });
    const failedJob = await copy<V1Job>(tenants.realJob.id, {
      cmd: 'exit 5',
      vols: [{ pvc: jobStudent, mount: '/dest' }],
    });
    expect([failedPod.body.status?.phase, failedJob.body.statusReason]).toEqual([
      'Failed',
      { phase: 'Failed', reason: 'Error', message: 'container copy exited with code 5', lastSeen: timestamp },
    ]);

    const run = await invoke<CleanupAnswer>('cleanup', { action: 'scheduled', retentionSeconds: 0, pvPolicy: 'keep' });

    expect(run.payload.actions.deletePod?.names).toContain(`tenant-real/${failedPod.body.metadata.name}`);
    expect(run.payload.actions.deleteJob?.names).toContain(`tenant-real-job/${failedJob.body.metadata.name}`);
    for (const [tenant, name] of [
      [tenants.realPod.id, failedPod.body.metadata.name],
      [tenants.realJob.id, failedJob.body.metadata.name],
    ]) {
      await until(
        `${name} to be gone`,
        async () => (await call('GET', path, { query: { tenant, name } })).status === 404,
      );
    }
  });
});
