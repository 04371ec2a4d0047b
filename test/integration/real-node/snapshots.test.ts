// Snapshots that really run on the local cluster's real node: a student's volume and the tenant's snapshot store are
// folders of this machine (hostPath volumes an admin makes in the service's own names, as MOOP's NFS volumes are).
// A tree with nested folders, unicode names, a symlink and old times is archived, changed, and restored beside and
// replacing: contents, links and times come back exactly. A store too small (a tiny tmpfs) makes the archive fail with
// its exit code and leaves no index entry; two requests with one key make one archive. (MOOP_REAL_NODE=off skips.)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1PersistentVolume } from '@kubernetes/client-node';
import { markOwned } from '../../../lib/ownership/ownership.ts';
import { storeFolder, storeKey, studentFolder } from '../../../lib/snapshots/store.ts';
import { reservationRefs, volumeOwner, volumeRefs } from '../../../lib/volumes/key.ts';
import { renderVolume } from '../../../lib/volumes/render.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { call } from '../../support/api.ts';
import { admin, until } from '../../support/cluster.ts';
import { hostVolumes } from '../../support/host-volumes.ts';
import { sweep } from '../../support/managed.ts';
import { renderScope } from '../../support/scope.ts';
import { treeOf } from '../../support/trees.ts';

const onNode = process.env.MOOP_REAL_NODE === 'off' ? describe.skip : describe;
const suffix = randomBytes(3).toString('hex');
const host = hostVolumes(suffix);
const { core } = admin();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const stores: string[] = [];
const mounted: string[] = [];
const made = new Set<string>();

interface Snapshot {
  id: string;
  username: string;
  tag: string;
  state: string;
  requestedAt: string;
  takenAt?: string;
  bytes?: number;
  files?: number;
  note?: string;
  copy?: string;
  reason?: { code: string; message: string };
}

/**
 * The tenant's snapshot store as a folder of this machine: the volume the service would make (its name, marks and
 * reservation), on hostPath instead of NFS; the service finds it as its own and makes the claim.
 */
async function hostStore(record: (typeof tenants)['realPod'], folder: string): Promise<void> {
  const scope = renderScope(record, {
    nameKey: process.env.MOOP_TEST_NAME_KEY!,
    nfs: { server: '10.0.0.2', prefix: '/exports/moop/', tenantScope: true },
  });
  const name = volumeRefs(scope, storeKey)[0]!.name;
  const claimName = reservationRefs(scope, storeKey)[0]!.name;
  const path = `${scope.namespace}/${storeFolder}`;
  const rendered = markOwned(
    renderVolume(scope, { ...storeKey, path }, { name, claimName }),
    volumeOwner(scope, storeKey),
  );
  const { nfs: _nfs, ...spec } = rendered.spec!;
  await core.deletePersistentVolume({ name }).catch(() => undefined);
  await until(
    `volume ${name} to be gone`,
    async () => !(await core.readPersistentVolume({ name }).catch(() => undefined)),
  );
  const body: V1PersistentVolume = { ...rendered, spec: { ...spec, hostPath: { path: folder, type: 'Directory' } } };
  await core.createPersistentVolume({ body });
  stores.push(name);
}

const list = (tenant: string, username: string) =>
  call<{ items: Snapshot[] }>('GET', '/service/v1/snapshots', { query: { tenant, username, tag: suffix } });

/** The student's snapshot of that id once it is no longer Running. */
async function settled(tenant: string, username: string, id: string): Promise<Snapshot> {
  let found: Snapshot | undefined;
  await until(
    `snapshot ${id} to end`,
    async () => {
      found = (await list(tenant, username)).body.items.find((s) => s.id === id);
      return found !== undefined && found.state !== 'Running';
    },
    180_000,
  );
  return found!;
}

/** The copy of that name (GET /pods) once it has finished. */
async function finished(tenant: string, name: string): Promise<{ status?: { phase?: string } }> {
  made.add(name);
  let read: { status?: { phase?: string } } = {};
  await until(
    `copy ${name} to finish`,
    async () => {
      read = (await call<{ status?: { phase?: string } }>('GET', '/service/v1/pods', { query: { tenant, name } })).body;
      return read.status?.phase === 'Succeeded' || read.status?.phase === 'Failed';
    },
    180_000,
  );
  return read;
}

afterAll(async () => {
  const folders = ['ana', 'bob', 'cara'].map((username) => studentFolder({ username, tag: suffix }));
  const outcomes = [tenants.realPod.id, tenants.realJob.id].map((t) => `outcome-${t}-`);
  await sweep(
    (o) =>
      made.has(o.metadata?.name ?? '') ||
      (o.metadata?.name ?? '').includes(suffix) ||
      o.metadata?.labels?.['moop.io/tag'] === suffix ||
      o.metadata?.annotations?.['moop.io/user'] === storeKey.username ||
      folders.includes(o.metadata?.labels?.['moop.io/snapshot-of'] ?? '') ||
      (o.metadata?.name ?? '').startsWith(`term-${tenants.realPod.id}-`) ||
      outcomes.some((prefix) => (o.metadata?.name ?? '').startsWith(prefix)),
  );
  for (const name of stores) await core.deletePersistentVolume({ name }).catch(() => undefined);
  for (const dir of mounted) execFileSync('umount', ['-l', dir]);
  await host.remove();
});

onNode('snapshots on the real node', () => {
  const tenant = tenants.realPod.id;
  let volume: string;
  let store: string;
  let original: Record<string, string>;
  let snapshot: Snapshot;

  beforeAll(async () => {
    volume = host.folder('ana');
    store = host.folder('store');
    mkdirSync(join(volume, 'données/été/深い'), { recursive: true });
    writeFileSync(join(volume, 'données/résumé é.txt'), 'Ça va ? 🙂\n');
    writeFileSync(join(volume, 'données/été/深い/ノート.ipynb'), '{"cells": ["日本語"]}\n');
    writeFileSync(join(volume, "it's $(not) run;.txt"), 'data, not a command\n');
    writeFileSync(join(volume, 'big.bin'), randomBytes(64 * 1024));
    mkdirSync(join(volume, 'empty'));
    symlinkSync('données/été', join(volume, 'summer'));
    for (const [f, year] of [
      ['données/résumé é.txt', 2001],
      ['données/été/深い/ノート.ipynb', 2010],
      ["it's $(not) run;.txt", 1999],
    ] as const) {
      const t = Date.UTC(year, 1, 3, 4, 5, 6) / 1000;
      utimesSync(join(volume, f), t, t);
    }
    original = treeOf(volume);
    await hostStore(tenants.realPod, store);
    await host.claim(tenant, 'ana', volume);
  }, 180_000);

  it('takes one snapshot for two requests with one key, archived into the student folder of the store', async () => {
    const request = {
      body: { tenant, username: 'ana', tag: suffix, note: 'before the final' },
      headers: { 'idempotency-key': `snap-${suffix}` },
    };
    const [first, second] = await Promise.all([
      call<Snapshot>('POST', '/service/v1/snapshots', request),
      call<Snapshot>('POST', '/service/v1/snapshots', request),
    ]);
    expect(first).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^snap-[0-9a-z]{20}$/),
        username: 'ana',
        tag: suffix,
        note: 'before the final',
        state: 'Running',
        requestedAt: timestamp,
        copy: expect.any(String),
      },
    });
    expect(second.body.id).toBe(first.body.id);
    made.add(first.body.copy!);
    snapshot = await settled(tenant, 'ana', first.body.id);

    const folder = join(store, studentFolder({ username: 'ana', tag: suffix }));
    expect(snapshot).toEqual({
      id: first.body.id,
      username: 'ana',
      tag: suffix,
      note: 'before the final',
      state: 'Succeeded',
      requestedAt: expect.any(String),
      takenAt: timestamp,
      bytes: lstatSync(join(folder, `${first.body.id}.tar.gz`)).size,
      files: 5,
      copy: first.body.copy,
    });
    expect(readdirSync(folder)).toEqual([`${first.body.id}.tar.gz`]);
    const copies = await core.listNamespacedPod({
      namespace: tenants.realPod.namespace!,
      labelSelector: `moop.io/operation=${first.body.id}`,
    });
    expect(copies.items.map((p) => p.metadata?.name)).toEqual([first.body.copy]);
  }, 240_000);

  it('restores beside the current files into a dated folder: contents, links and times as they were', async () => {
    writeFileSync(join(volume, 'données/résumé é.txt'), 'rewritten after the snapshot\n');
    rmSync(join(volume, 'données/été/深い/ノート.ipynb'));
    writeFileSync(join(volume, 'new since.txt'), 'new');
    const changed = treeOf(volume);

    const answer = await call<{ folder: string; copy: { name: string } }>('POST', '/service/v1/snapshots/restores', {
      body: { tenant, username: 'ana', tag: suffix, id: snapshot.id },
    });
    const folder = `restored-${snapshot.takenAt!.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;
    expect(answer).toEqual({
      status: 202,
      body: { snapshot: snapshot.id, mode: 'beside', folder, copy: { name: expect.any(String), kind: 'Pod' } },
    });
    expect((await finished(tenant, answer.body.copy.name)).status?.phase).toBe('Succeeded');

    expect(treeOf(join(volume, folder))).toEqual(original);
    // Nothing of what the student has now was overwritten.
    expect(treeOf(volume, (p) => p.startsWith(folder))).toEqual(changed);
  }, 240_000);

  it('restores replacing the current files: the volume is exactly as it was when the snapshot was taken', async () => {
    const answer = await call<{ copy: { name: string } }>('POST', '/service/v1/snapshots/restores', {
      body: { tenant, username: 'ana', tag: suffix, id: snapshot.id, mode: 'replace' },
    });
    expect(answer.status).toBe(202);
    expect((await finished(tenant, answer.body.copy.name)).status?.phase).toBe('Succeeded');
    expect(treeOf(volume)).toEqual(original);
  }, 240_000);

  it('deletes a snapshot: gone from the list, its archive removed from the store', async () => {
    const answer = await call('DELETE', '/service/v1/snapshots', {
      query: { tenant, username: 'ana', tag: suffix, id: snapshot.id },
    });
    expect(answer).toEqual({ status: 200, body: { deleted: snapshot.id } });
    expect(
      (await list(tenant, 'ana')).body.items.filter((s) => s.id === snapshot.id && s.state === 'Succeeded'),
    ).toEqual([]);
    const archive = join(store, studentFolder({ username: 'ana', tag: suffix }), `${snapshot.id}.tar.gz`);
    await until('the archive to be removed', async () => !existsSync(archive), 120_000);
  }, 180_000);

  it("ends a term: each student's volume archived, then their claim removed; the archive is restorable later", async () => {
    const folders = { bob: host.folder('bob'), cara: host.folder('cara') };
    for (const [who, dir] of Object.entries(folders)) {
      mkdirSync(join(dir, 'final/notebooks'), { recursive: true });
      writeFileSync(join(dir, 'final/notebooks/exam.ipynb'), `{"by": "${who}"}\n`);
      utimesSync(join(dir, 'final/notebooks/exam.ipynb'), 1_000_000_000, 1_000_000_000);
    }
    const claims = {
      bob: await host.claim(tenant, 'bob', folders.bob),
      cara: await host.claim(tenant, 'cara', folders.cara),
    };
    const before = { bob: treeOf(folders.bob), cara: treeOf(folders.cara) };

    const started = await call<{ id: string; students: { snapshot?: string }[] }>(
      'POST',
      '/service/v1/snapshots/terms',
      {
        body: { tenant, students: ['bob', 'cara', 'dora'].map((username) => ({ username, tag: suffix })) },
      },
    );
    expect(started).toEqual({
      status: 202,
      body: {
        id: expect.stringMatching(/^term-[0-9a-z]{20}$/),
        state: 'Running',
        startedAt: timestamp,
        summary: { archiving: 2, archived: 0, skipped: 1, failed: 0 },
        students: [
          { username: 'bob', tag: suffix, status: 'archiving', snapshot: expect.stringMatching(/^snap-/) },
          { username: 'cara', tag: suffix, status: 'archiving', snapshot: expect.stringMatching(/^snap-/) },
          {
            username: 'dora',
            tag: suffix,
            status: 'skipped',
            reason: {
              code: 'NO_VOLUME',
              message: `dora has no claim (tag ${suffix}) in namespace ${tenants.realPod.namespace}.`,
            },
          },
        ],
      },
    });
    let term: { state: string; students: Record<string, unknown>[] } = { state: 'Running', students: [] };
    await until(
      'the term to end',
      async () => {
        term = (
          await call<typeof term>('GET', '/service/v1/snapshots/terms', { query: { tenant, id: started.body.id } })
        ).body;
        return term.state !== 'Running';
      },
      180_000,
    );
    expect(term).toEqual({
      ...started.body,
      state: 'Succeeded',
      summary: { archiving: 0, archived: 2, skipped: 1, failed: 0 },
      students: [
        // The volumes are the admin's hostPath ones here, not the service's: only the claims are the service's to remove.
        { ...started.body.students[0], status: 'archived', claim: claims.bob, volume: null },
        { ...started.body.students[1], status: 'archived', claim: claims.cara, volume: null },
        started.body.students[2],
      ],
    });
    // Removed: gone once the cluster's claim protection has seen the archive copy go.
    await until(
      "bob's claim to be gone",
      async () =>
        (await call('GET', '/service/v1/volumes/pvcs', { query: { tenant, username: 'bob', tag: suffix } })).status ===
        404,
      60_000,
    );

    // Next term, bob has a new, empty volume: his archive comes back beside.
    const fresh = host.folder('bob-next');
    await host.claim(tenant, 'bob', fresh);
    const restore = await call<{ folder: string; copy: { name: string } }>('POST', '/service/v1/snapshots/restores', {
      body: { tenant, username: 'bob', tag: suffix, id: started.body.students[0]!.snapshot },
    });
    expect(restore.status).toBe(202);
    expect((await finished(tenant, restore.body.copy.name)).status?.phase).toBe('Succeeded');
    expect(treeOf(join(fresh, restore.body.folder))).toEqual(before.bob);
  }, 300_000);

  it("fails with the archive tool's exit code when the store is too small, leaving no index entry and no partial archive", async () => {
    const jobTenant = tenants.realJob.id;
    const tiny = host.folder('tiny-store');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', tiny]);
    mounted.push(tiny);
    await hostStore(tenants.realJob, tiny);
    await host.claim(jobTenant, 'ana', volume);

    const started = await call<Snapshot>('POST', '/service/v1/snapshots', {
      body: { tenant: jobTenant, username: 'ana', tag: suffix },
    });
    expect(started.status).toBe(202);
    const failed = await settled(jobTenant, 'ana', started.body.id);

    expect(failed).toEqual({
      id: started.body.id,
      username: 'ana',
      tag: suffix,
      state: 'Failed',
      requestedAt: expect.any(String),
      copy: started.body.copy,
      reason: {
        code: 'ARCHIVE_FAILED',
        message: expect.stringMatching(/^tar exited with code 1: .*No space left on device/),
      },
    });
    const entries = await core.listNamespacedConfigMap({
      namespace: 'moop-records',
      labelSelector: `moop.io/snapshot-of=${studentFolder({ username: 'ana', tag: suffix })}`,
    });
    expect(entries.items.filter((m) => m.metadata?.name?.includes(started.body.id.slice(5)))).toEqual([]);
    expect(readdirSync(join(tiny, studentFolder({ username: 'ana', tag: suffix })))).toEqual([]);
  }, 240_000);
});
