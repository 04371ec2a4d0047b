// A student's snapshots: taken (a copy archives their volume, read-only, into their folder of the tenant's store),
// listed (the index, and the copies still making one), deleted (the entry, and a copy that removes the archive) and
// restored (a copy unpacks the archive into the volume: beside what is there, or replacing it). Each copy is the
// tenant's own template, labelled for the student, and reports in its termination message.
import { randomBytes } from 'node:crypto';
import type { KubernetesObject, V1Job, V1Pod } from '@kubernetes/client-node';
import { type CopyObject, type CopyPart, renderWork, terminationLog } from '../copies/render.ts';
import { NotFoundError } from '../errors.ts';
import { once } from '../idempotency/outcomes.ts';
import { cutPage, decodeCursor, listAll, type Page } from '../inventory/page.ts';
import { shortHash } from '../kube/names.ts';
import { jobKind, podKind, refOfKind } from '../kube/objects.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { makeCopy as makeOperationCopy } from '../operations/operations.ts';
import { operationLabel } from '../operations/record.ts';
import { parseResult } from '../operations/script.ts';
import { deleteOwned, isOwnedBy, ownerLabels, ownerSelector, tenantLabel } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { type VolumeKey, volumeOwner } from '../volumes/key.ts';
import { forget, type Kept, keep, keptOfStudent, keptSnapshot } from './index.ts';
import type { Restore, RestoreBody, Snapshot, SnapshotListQuery, TakeSnapshotBody } from './schemas.ts';
import { archiveScript, removeScript, restoreScript } from './scripts.ts';
import { archiveName, storeClaim, storeKey, studentClaim, studentFolder } from './store.ts';

/** Annotation of an archiving copy (and a Job's pods): the snapshot it makes. */
export const snapshotAnnotation = 'moop.io/snapshot';

const mounts = { student: '/moop/student', store: '/moop/store' } as const;

/** A copy made for the student: a single part, labelled for the student and for what it does (the id). */
async function makeCopy(
  scope: TenantScope,
  key: VolumeKey,
  id: string,
  part: CopyPart,
  marks: { readOnlyClaims: string[]; annotations?: Record<string, string> },
): Promise<CopyObject> {
  const labels = { ...ownerLabels(volumeOwner(scope, key)), [operationLabel]: id };
  const copy = renderWork(
    scope,
    { parts: [part], readOnlyClaims: marks.readOnlyClaims },
    { random: shortHash([id, part.name ?? ''], 8), labels, annotations: marks.annotations },
  );
  // A retried request (the same Idempotency-Key) made it already: that copy is the one.
  return makeOperationCopy(scope, copy, id);
}

const newId = (prefix: string, scope: TenantScope, route: string, key: string | undefined): string =>
  `${prefix}-${key ? shortHash([route, scope.tenant.id, key], 20) : shortHash([randomBytes(16).toString('hex')], 20)}`;

/** The copy a notice is about: what askToBeTold needs of it. */
const toldOf = (copy: CopyObject): KubernetesObject => ({
  apiVersion: copy.apiVersion,
  kind: copy.kind?.toLowerCase() === 'job' ? 'Job' : 'Pod',
  metadata: { name: copy.metadata!.name!, uid: copy.metadata!.uid! },
});

/**
 * Starts a snapshot of the student's volume: 404 when they have no claim; the tenant's store is made the first time.
 * Answered at once (Running); with an Idempotency-Key a retry answers the same snapshot, and one archive is made.
 */
export async function takeSnapshot(
  scope: TenantScope,
  input: Omit<TakeSnapshotBody, 'tenant' | 'notify'>,
  options: { idempotencyKey?: string },
): Promise<{ snapshot: Snapshot; copy: KubernetesObject }> {
  const key = { username: input.username, tag: input.tag };
  const slot = { resources: scope.resources, tenant: scope.tenant.id, route: 'snapshots', key: options.idempotencyKey };
  return once(slot, input, async () => {
    const id = newId('snap', scope, 'snapshots', options.idempotencyKey);
    // The student's claim first: a 404 makes nothing, not even the tenant's store.
    const claim = await studentClaim(scope, key);
    const store = await storeClaim(scope);
    const requestedAt = new Date().toISOString();
    const about = { id, ...key, ...(input.note ? { note: input.note } : {}), requestedAt };
    const part: CopyPart = {
      name: 'archive',
      cmd: archiveScript,
      env: {
        MOOP_FROM: mounts.student,
        MOOP_ARCHIVE: `${mounts.store}/${archiveName(id)}`,
        MOOP_RESULT: terminationLog,
      },
      vols: [
        { pvc: claim.metadata!.name!, mount: mounts.student, readOnly: true },
        // Only the student's own folder of the store.
        { pvc: store, mount: mounts.store, subpath: studentFolder(key) },
      ],
    };
    const copy = await makeCopy(scope, key, id, part, {
      readOnlyClaims: [claim.metadata!.name!],
      annotations: { [snapshotAnnotation]: JSON.stringify(about) },
    });
    // A retry that found the first request's copy answers what that copy records (its requestedAt).
    const first = aboutOf(copy as V1Pod) ?? about;
    return { snapshot: { ...first, state: 'Running', copy: copy.metadata!.name! }, copy: toldOf(copy) };
  });
}

type About = Pick<Snapshot, 'id' | 'username' | 'tag' | 'note' | 'requestedAt'>;

const aboutOf = (pod: V1Pod): About | undefined => {
  try {
    return JSON.parse(pod.metadata?.annotations?.[snapshotAnnotation] ?? '') as About;
  } catch {
    return undefined;
  }
};

/** A snapshot as its copy's pod shows it; a complete one is indexed (settled) on the way. */
async function fromCopy(resources: ResourceClient, tenant: string, pod: V1Pod, about: About): Promise<Snapshot> {
  const status = pod.status?.containerStatuses?.find((c) => c.name === 'archive');
  const ended = status?.state?.terminated;
  const copy = pod.metadata?.labels?.['job-name'] ?? pod.metadata!.name!;
  const base = { ...about, copy };
  const result = parseResult(ended?.message);
  if (ended && result?.status === 'copied') {
    const kept: Kept = {
      ...about,
      takenAt: new Date(ended.finishedAt as unknown as string).toISOString(),
      bytes: result.bytes,
      files: result.files,
    };
    await keep(resources, tenant, kept);
    return { ...kept, state: 'Succeeded', copy };
  }
  if (ended || pod.status?.phase === 'Failed') {
    const reason = result?.reason ?? {
      code: ended?.reason ?? pod.status?.reason ?? 'Failed',
      message: ended ? `the archive ended with exit code ${ended.exitCode}` : (pod.status?.message ?? ''),
    };
    return { ...base, state: 'Failed', reason };
  }
  return { ...base, state: 'Running' };
}

/**
 * The state of snapshot id from the tenant's listed pods (its copy's newest), indexed on the way once complete; a
 * snapshot whose copy is gone and was never indexed failed.
 */
export async function snapshotState(
  resources: ResourceClient,
  tenant: string,
  id: string,
  pods: V1Pod[],
): Promise<Pick<Snapshot, 'state' | 'reason'>> {
  const mine = pods
    .filter((p) => aboutOf(p)?.id === id && !p.metadata?.deletionTimestamp)
    .sort((a, b) => String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)));
  if (mine.length === 0)
    return { state: 'Failed', reason: { code: 'COPY_DELETED', message: 'the archive copy is gone' } };
  const { state, reason } = await fromCopy(resources, tenant, mine[0]!, aboutOf(mine[0]!)!);
  return { state, ...(reason ? { reason } : {}) };
}

/** Newest first, then by id: a sort key that orders ascending. */
const newestFirst = (s: Snapshot): string[] => [
  String(9e15 - Date.parse(s.takenAt ?? s.requestedAt)).padStart(16, '0'),
  s.id,
];

/** The student's snapshots, newest first, a page at a time: those kept, and those whose copy is kept still. */
export async function listSnapshots(scope: TenantScope, query: SnapshotListQuery): Promise<Page<Snapshot>> {
  const key = { username: query.username, tag: query.tag };
  const after = decodeCursor(query.continue, 2);
  const [kept, pods] = await Promise.all([
    keptOfStudent(scope.resources, scope.tenant.id, key),
    listAll<V1Pod>(scope.resources, podKind, {
      namespace: scope.namespace,
      labelSelector: `${ownerSelector(volumeOwner(scope, key))},${operationLabel}`,
    }),
  ]);
  const keptIds = new Set(kept.map((k) => k.id));
  // A Job's retries: its newest pod tells.
  const byId = new Map<string, { pod: V1Pod; about: About }>();
  for (const pod of pods) {
    const about = aboutOf(pod);
    if (!about || about.username !== key.username || about.tag !== key.tag || keptIds.has(about.id)) continue;
    // A copy being deleted goes with its snapshot: never indexed again.
    if (pod.metadata?.deletionTimestamp) continue;
    const seen = byId.get(about.id);
    if (!seen || String(pod.metadata?.creationTimestamp) > String(seen.pod.metadata?.creationTimestamp))
      byId.set(about.id, { pod, about });
  }
  const copies = await Promise.all(
    [...byId.values()].map(({ pod, about }) => fromCopy(scope.resources, scope.tenant.id, pod, about)),
  );
  const items: Snapshot[] = [
    ...kept.map(({ configMap: _c, ...k }) => ({ ...k, state: 'Succeeded' as const })),
    ...copies,
  ];
  return cutPage(items, newestFirst, after, query.limit);
}

/** A copy that removes the student's archives named from their folder of the store. */
async function removeArchives(scope: TenantScope, key: VolumeKey, ids: string[]): Promise<CopyObject> {
  const store = await storeClaim(scope);
  const part: CopyPart = {
    name: 'remove',
    cmd: removeScript,
    env: { MOOP_STORE: mounts.store, MOOP_REMOVE: ids.map(archiveName).join('\n'), MOOP_RESULT: terminationLog },
    vols: [{ pvc: store, mount: mounts.store, subpath: studentFolder(key) }],
  };
  return makeCopy(scope, key, newId('remove', scope, 'removals', undefined), part, { readOnlyClaims: [] });
}

/**
 * One copy that removes the archives of the snapshots named, of any students of the tenant, from its store (what
 * scheduled cleanup does with snapshots past SNAPSHOT_RETENTION_DAYS); each path is the service's own (folder, id).
 */
export async function pruneArchives(scope: TenantScope, snapshots: Kept[]): Promise<CopyObject> {
  const store = await storeClaim(scope);
  const paths = snapshots.map((s) => `${studentFolder(s)}/${archiveName(s.id)}`);
  const part: CopyPart = {
    name: 'remove',
    cmd: removeScript,
    env: { MOOP_STORE: mounts.store, MOOP_REMOVE: paths.join('\n'), MOOP_RESULT: terminationLog },
    vols: [{ pvc: store, mount: mounts.store }],
  };
  return makeCopy(scope, storeKey, newId('prune', scope, 'prunes', undefined), part, { readOnlyClaims: [] });
}

/**
 * Deletes the copies that made snapshot id (a Job's pods go with it): once it is indexed, or deleted, they have
 * nothing more to say, and a finished copy still counts as mounting the student's claim.
 */
export async function retireCopies(scope: TenantScope, id: string): Promise<void> {
  const options = { namespace: scope.namespace, labelSelector: `${operationLabel}=${id}` };
  const [pods, jobs] = await Promise.all([
    listAll<V1Pod>(scope.resources, podKind, options),
    listAll<V1Job>(scope.resources, jobKind, options),
  ]);
  const owner = { tenant: scope.tenant.id };
  const gone = (err: unknown) => {
    if (!(err instanceof NotFoundError)) throw err;
  };
  const bare = pods.filter((p) => !p.metadata?.labels?.['job-name']);
  // A Job's pods too, at once: left to the garbage collector, they would be read (and indexed again) meanwhile.
  const ofJobs = pods.filter(
    (p) => p.metadata?.labels?.['job-name'] && p.metadata.labels[tenantLabel] === scope.tenant.id,
  );
  await Promise.all([
    ...[...jobs, ...bare]
      .filter((c) => isOwnedBy(c, owner))
      .map((c) => deleteOwned(scope.resources, c, { propagationPolicy: 'Background' }).catch(gone)),
    ...ofJobs.map((p) => scope.resources.delete(refOfKind(podKind, p), { uid: p.metadata?.uid }).catch(gone)),
  ]);
}

/**
 * Deletes a kept snapshot of the student: the copy that made it (or a list would index it again from its report),
 * then its index entry, at once; its archive by a copy.
 */
export async function deleteSnapshot(scope: TenantScope, query: VolumeKey & { id: string }) {
  const key = { username: query.username, tag: query.tag };
  const kept = await keptSnapshot(scope.resources, scope.tenant.id, key, query.id);
  await retireCopies(scope, kept.id);
  await forget(scope.resources, kept);
  await removeArchives(scope, key, [kept.id]);
  return { deleted: kept.id };
}

/** The folder a beside restore unpacks into: named for when the snapshot was taken. */
export const besideFolder = (takenAt: string): string =>
  `restored-${takenAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}`;

/**
 * Restores a kept snapshot into the student's volume: beside (a new dated folder; if it exists the copy fails and
 * nothing is overwritten) or replacing what the volume holds. Answered at once with the copy that does it.
 */
export async function restoreSnapshot(
  scope: TenantScope,
  input: Omit<RestoreBody, 'tenant' | 'notify'>,
  options: { idempotencyKey?: string },
): Promise<{ restore: Restore; copy: KubernetesObject }> {
  const key = { username: input.username, tag: input.tag };
  const slot = { resources: scope.resources, tenant: scope.tenant.id, route: 'restores', key: options.idempotencyKey };
  return once(slot, input, async () => {
    const kept = await keptSnapshot(scope.resources, scope.tenant.id, key, input.id);
    const [claim, store] = await Promise.all([studentClaim(scope, key), storeClaim(scope)]);
    const folder = input.mode === 'beside' ? besideFolder(kept.takenAt) : undefined;
    const part: CopyPart = {
      name: 'restore',
      cmd: restoreScript,
      env: {
        MOOP_ARCHIVE: `${mounts.store}/${archiveName(kept.id)}`,
        MOOP_TO: folder ? `${mounts.student}/${folder}` : mounts.student,
        MOOP_MODE: input.mode,
        MOOP_RESULT: terminationLog,
      },
      vols: [
        { pvc: claim.metadata!.name!, mount: mounts.student },
        { pvc: store, mount: mounts.store, subpath: studentFolder(key), readOnly: true },
      ],
    };
    const id = newId('restore', scope, 'restores', options.idempotencyKey);
    const copy = await makeCopy(scope, key, id, part, { readOnlyClaims: [store] });
    const kind = copy.kind?.toLowerCase() === 'job' ? ('Job' as const) : ('Pod' as const);
    return {
      restore: {
        snapshot: kept.id,
        mode: input.mode,
        ...(folder ? { folder } : {}),
        copy: { name: copy.metadata!.name!, kind },
      },
      copy: toldOf(copy),
    };
  });
}
