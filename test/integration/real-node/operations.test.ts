// Class operations that really run: an instructor and 20 students on hostPath volumes of this machine, claimed as
// MOOP's NFS volumes are; the copies run busybox on the local cluster's real node (kubelet, containerd, runc), one
// container per student, and each student's result is what their container reported. Distribution lands byte-equal
// files for everyone and keeps a student's own edits; collection lands byte-equal trees, a folder per student, says
// who was skipped, who failed and who was late, and leaves every student's work as it was: their volumes are mounted
// read-only, and a write through the very mounts the service made fails. (MOOP_REAL_NODE=off skips this file.)
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { admin, until } from '../../support/cluster.ts';
import { hostVolumes } from '../../support/host-volumes.ts';
import { sweep } from '../../support/managed.ts';
import { treeOf } from '../../support/trees.ts';

const onNode = process.env.MOOP_REAL_NODE === 'off' ? describe.skip : describe;
const suffix = randomBytes(3).toString('hex');
const host = hostVolumes(suffix);
const tenant = tenants.realPod.id;
const namespace = tenants.realPod.namespace!;
const { core } = admin();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const students = Array.from({ length: 20 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);
const folders = new Map<string, string>();
const operations: string[] = [];
let course: string;

interface Operation {
  id: string;
  kind: string;
  state: string;
  startedAt: string;
  finishedAt?: string;
  summary: Record<string, number>;
  copies: { name: string; kind: string; students: number }[];
  students: Record<string, unknown>[];
}

/** The operation once every student has a result (GET, every second). */
async function ended(id: string): Promise<Operation> {
  let last: Operation | undefined;
  await until(
    `operation ${id} to end`,
    async () => {
      const read = await call<Operation>('GET', '/service/v1/operations', { query: { tenant, id } });
      expect(read.status).toBe(200);
      last = read.body;
      return last.state !== 'Running';
    },
    180_000,
  );
  return last!;
}

const roster = (names: string[]) => names.map((username) => ({ username, tag: suffix }));

beforeAll(async () => {
  course = host.folder('course');
  mkdirSync(join(course, 'ds101/week1/data'), { recursive: true });
  writeFileSync(join(course, 'ds101/week1/intro.ipynb'), '{"cells": []}\n');
  writeFileSync(join(course, 'ds101/week1/data/iris.csv'), 'sepal,petal\n5.1,1.4\n');
  writeFileSync(join(course, 'ds101/read me.txt'), 'spaces survive\n');
  symlinkSync('week1', join(course, 'ds101/latest'));
  for (const s of students) folders.set(s, host.folder(`student-${s}`));
  const limit = pLimit(5);
  await Promise.all([
    host.claim(tenant, 'teacher', course),
    ...students.map((s) => limit(() => host.claim(tenant, s, folders.get(s)!))),
  ]);
}, 300_000);

afterAll(async () => {
  await sweep(
    (o) =>
      operations.some((id) => o.metadata?.labels?.['moop.io/operation'] === id) ||
      (o.metadata?.name ?? '').includes(suffix),
  );
  await host.remove();
});

onNode('class operations on the real node', () => {
  it("distributes a course's files to 20 students, byte-equal, keeping the file a student edited", async () => {
    const edited = join(folders.get('s03')!, 'ds101/week1/intro.ipynb');
    mkdirSync(join(folders.get('s03')!, 'ds101/week1'), { recursive: true });
    writeFileSync(edited, 'my own edits\n');

    const started = await call<Operation>('POST', '/service/v1/operations/distributions', {
      body: {
        tenant,
        source: { username: 'teacher', tag: suffix, subpath: 'ds101' },
        students: roster(students),
        subpath: 'ds101',
      },
    });
    operations.push(started.body.id);

    expect(started).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^op-[0-9a-z]{20}$/),
        kind: 'distribution',
        state: 'Running',
        startedAt: timestamp,
        summary: { running: 20, copied: 0, late: 0, skipped: 0, failed: 0 },
        copies: [
          { name: expect.any(String), kind: 'Pod', students: 15 },
          { name: expect.any(String), kind: 'Pod', students: 5 },
        ],
        students: students.map((username, i) => ({
          username,
          tag: suffix,
          status: 'running',
          copy: started.body.copies[i < 15 ? 0 : 1]!.name,
        })),
      },
    });
    const done = await ended(started.body.id);
    const bytes = (files: string[]) => files.reduce((n, f) => n + lstatSync(join(course, 'ds101', f)).size, 0);
    const all = ['week1/intro.ipynb', 'week1/data/iris.csv', 'read me.txt', 'latest'];
    expect(done).toEqual({
      ...started.body,
      state: 'Succeeded',
      finishedAt: timestamp,
      summary: { running: 0, copied: 20, late: 0, skipped: 0, failed: 0 },
      students: started.body.students.map((s) =>
        s.username === 's03'
          ? { ...s, status: 'copied', files: 3, bytes: bytes(all.slice(1)), kept: 1 }
          : { ...s, status: 'copied', files: 4, bytes: bytes(all), kept: 0 },
      ),
    });
    const source = treeOf(join(course, 'ds101'));
    for (const s of students) {
      const tree = treeOf(join(folders.get(s)!, 'ds101'));
      if (s === 's03') {
        expect(readFileSync(edited, 'utf8')).toBe('my own edits\n');
        // latest/ is a link to week1/: the edited file shows through it too.
        const mine = { 'week1/intro.ipynb': undefined, 'latest/intro.ipynb': undefined };
        expect({ ...tree, ...mine }).toEqual({ ...source, ...mine });
      } else {
        expect(tree).toEqual(source);
      }
    }
    // Read again once settled: the same results, kept in the operation's record.
    const again = await call<Operation>('GET', '/service/v1/operations', { query: { tenant, id: started.body.id } });
    expect(again).toEqual({ status: 200, body: done });
  }, 240_000);

  it("collects every student's work into the instructor's folder, says who was skipped, failed or late, and changes no student's work", async () => {
    const twoHoursAgo = Date.now() / 1000 - 7200;
    for (const s of students) {
      if (s === 's07') continue; // no hw1 folder: failed, while the others are copied
      const dir = join(folders.get(s)!, 'hw1');
      mkdirSync(join(dir, 'notebooks'), { recursive: true });
      writeFileSync(join(dir, 'answer.txt'), `the answer of ${s}\n`);
      writeFileSync(join(dir, 'notebooks/nb.ipynb'), `{"student": "${s}"}\n`);
      for (const f of ['answer.txt', 'notebooks/nb.ipynb']) utimesSync(join(dir, f), twoHoursAgo, twoHoursAgo);
    }
    // s09 touched their answer after the cutoff.
    const now = Date.now() / 1000;
    utimesSync(join(folders.get('s09')!, 'hw1/answer.txt'), now, now);
    const before = students.map((s) => treeOf(folders.get(s)!));

    const started = await call<Operation>('POST', '/service/v1/operations/collections', {
      body: {
        tenant,
        students: roster([...students, 'ghost']),
        subpath: 'hw1',
        destination: { username: 'teacher', tag: suffix, subpath: 'submissions' },
        assignment: 'hw1',
        cutoff: new Date(Date.now() - 3_600_000).toISOString(),
      },
    });
    operations.push(started.body.id);
    expect(started.status).toBe(202);
    const done = await ended(started.body.id);

    const answer = (s: string) => `the answer of ${s}\n`.length + `{"student": "${s}"}\n`.length;
    expect(done).toEqual({
      ...started.body,
      state: 'Failed',
      finishedAt: timestamp,
      summary: { running: 0, copied: 18, late: 1, skipped: 1, failed: 1 },
      students: [
        ...students.map((s) => {
          const copy = started.body.students.find((r) => r.username === s)!.copy;
          if (s === 's07') {
            const reason = { code: 'SOURCE_MISSING', message: 'no folder /hw1 to copy from' };
            return { username: s, tag: suffix, copy, status: 'failed', files: 0, bytes: 0, lateFiles: 0, reason };
          }
          const late = s === 's09' ? 1 : 0;
          return {
            username: s,
            tag: suffix,
            copy,
            status: late ? 'late' : 'copied',
            files: 2,
            bytes: answer(s),
            lateFiles: late,
          };
        }),
        {
          username: 'ghost',
          tag: suffix,
          status: 'skipped',
          reason: { code: 'NO_VOLUME', message: `ghost has no claim (tag ${suffix})` },
        },
      ],
    });
    for (const s of students.filter((s) => s !== 's07')) {
      expect(treeOf(join(course, 'submissions/hw1', s))).toEqual(treeOf(join(folders.get(s)!, 'hw1')));
    }
    expect(existsSync(join(course, 'submissions/hw1/s07/answer.txt'))).toBe(false);
    expect(students.map((s) => treeOf(folders.get(s)!))).toEqual(before);
  }, 240_000);

  it("runs as a Job where the tenant's template is one, each student's result read from the Job's pod", async () => {
    const jobTenant = tenants.realJob.id;
    const two = ['s01', 's02'];
    await Promise.all([
      host.claim(jobTenant, 'teacher', course),
      ...two.map((s) => host.claim(jobTenant, s, folders.get(s)!)),
    ]);
    const started = await call<Operation>('POST', '/service/v1/operations/distributions', {
      body: {
        tenant: jobTenant,
        source: { username: 'teacher', tag: suffix, subpath: 'ds101/week1' },
        students: roster(two),
        subpath: 'from-a-job',
        mode: 'replace',
      },
    });
    operations.push(started.body.id);
    expect([started.status, started.body.copies]).toEqual([
      202,
      [{ name: expect.any(String), kind: 'Job', students: 2 }],
    ]);
    let done: Operation | undefined;
    await until(
      `operation ${started.body.id} to end`,
      async () => {
        done = (
          await call<Operation>('GET', '/service/v1/operations', { query: { tenant: jobTenant, id: started.body.id } })
        ).body;
        return done.state !== 'Running';
      },
      180_000,
    );
    const bytes = ['intro.ipynb', 'data/iris.csv'].reduce(
      (n, f) => n + lstatSync(join(course, 'ds101/week1', f)).size,
      0,
    );
    expect(done!.students).toEqual(
      two.map((username) => ({
        username,
        tag: suffix,
        copy: started.body.copies[0]!.name,
        status: 'copied',
        files: 2,
        bytes,
        kept: 0,
      })),
    );
    for (const s of two)
      expect(treeOf(join(folders.get(s)!, 'from-a-job'))).toEqual(treeOf(join(course, 'ds101/week1')));
  }, 240_000);

  it("never runs caller text or a student's links: a subpath of shell syntax is a folder's name, a link out of a student's folder fails only that student, a forged result is overwritten", async () => {
    const weird = 'w $(touch pwned) `touch pwned2`; touch pwned3 & \'"|<>';
    const source = treeOf(join(course, 'ds101'));
    // s04's target folder is a link to where the copy mounts the source: replace mode would overwrite the course.
    symlinkSync('/moop/source', join(folders.get('s04')!, weird));
    // s06 links a file the copy writes to its own termination message, to forge its result.
    mkdirSync(join(folders.get('s06')!, weird, 'week1'), { recursive: true });
    symlinkSync('/dev/termination-log', join(folders.get('s06')!, weird, 'week1/intro.ipynb'));
    const three = ['s04', 's05', 's06'];

    const started = await call<Operation>('POST', '/service/v1/operations/distributions', {
      body: {
        tenant,
        source: { username: 'teacher', tag: suffix, subpath: 'ds101' },
        students: roster(three),
        subpath: weird,
        mode: 'replace',
      },
    });
    operations.push(started.body.id);
    expect(started.status).toBe(202);
    const done = await ended(started.body.id);

    const copy = started.body.copies[0]!.name;
    const all = ['week1/intro.ipynb', 'week1/data/iris.csv', 'read me.txt', 'latest'];
    const bytes = all.reduce((n, f) => n + lstatSync(join(course, 'ds101', f)).size, 0);
    const copied = { status: 'copied', files: 4, bytes, kept: 0 };
    expect(done.students).toEqual([
      {
        username: 's04',
        tag: suffix,
        copy,
        status: 'failed',
        files: 0,
        bytes: 0,
        kept: 0,
        reason: { code: 'DESTINATION_ESCAPES', message: 'the folder to copy into is a link out of its volume' },
      },
      { username: 's05', tag: suffix, copy, ...copied },
      { username: 's06', tag: suffix, copy, ...copied },
    ]);
    expect(treeOf(join(folders.get('s05')!, weird))).toEqual(source);
    expect(treeOf(join(course, 'ds101'))).toEqual(source);
    const everywhere = [course, ...folders.values()].flatMap(
      (dir) => readdirSync(dir, { recursive: true }) as string[],
    );
    expect(everywhere.filter((p) => /pwned/.test(p.replace(weird, '')))).toEqual([]);
  }, 240_000);

  it("mounts the students' volumes read-only: a write through the collection's own mounts fails", async () => {
    const id = operations[1]!; // the collection
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: `moop.io/operation=${id}`,
    });
    const pod = pods.items[0] as V1Pod;
    const student = pod.spec!.containers[0]!;
    expect(student.volumeMounts?.find((m) => m.mountPath === '/moop/student')?.readOnly).toBe(true);
    // The copy's own volumes and mounts, run by an admin with a command that tries to write.
    const probe = `probe-${suffix}`;
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: probe, labels: { 'app.kubernetes.io/managed-by': 'moop-resource-service' } },
        spec: {
          ...pod.spec!,
          containers: [
            {
              name: 'probe',
              image: student.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c', 'touch /moop/student/hw1/intruder 2> /dev/termination-log; true'],
              volumeMounts: student.volumeMounts,
            },
          ],
          nodeName: undefined,
        },
      },
    });
    let message = '';
    await until(
      `the probe pod to end`,
      async () => {
        const read = await core.readNamespacedPod({ name: probe, namespace });
        message = read.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '';
        return read.status?.phase === 'Succeeded' || read.status?.phase === 'Failed';
      },
      120_000,
    );
    expect(message).toMatch(/Read-only file system/);
    expect(students.some((s) => existsSync(join(folders.get(s)!, 'hw1/intruder')))).toBe(false);
  }, 180_000);
});
