// An operation planned: whose claim each student's folder is in (or why the student is skipped), and the copies that
// do them, a batch of students each, with what every student's container mounts and reads. Pure but for one list of
// the tenant's claims: nothing is made here.
import { posix } from 'node:path';
import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { CopyMount, CopyPart } from '../copies/render.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { listAll } from '../inventory/page.ts';
import { claimKind } from '../kube/objects.ts';
import { markedTenant, ownerSelector } from '../ownership/ownership.ts';
import type { TenantScope } from '../tenants/scope.ts';
import { claimRefs, type VolumeKey } from '../volumes/key.ts';
import type { CollectionBody, DistributionBody } from './schemas.ts';
import { copyScript, scriptEnv } from './script.ts';

export type OperationRequest =
  | ({ kind: 'distribution' } & DistributionBody)
  | ({ kind: 'collection' } & CollectionBody);

/**
 * Students in one copy. With their own claims: 15, so that with the source (or destination) a copy mounts at most 16
 * claims, the limit of POST /pods. In one shared claim, mounted once: 24, one container each, whose termination
 * messages share the kubelet's 12 KiB (512 bytes each; a result takes at most about 390: its reason is cut to 300).
 */
export const studentsPerCopy = { own: 15, shared: 24 } as const;

/** Where a container mounts what: the folder copied from, a student's, the destination. */
export const mounts = { source: '/moop/source', student: '/moop/student', destination: '/moop/destination' } as const;

/** A student as planned: the claim their folder is in, or why they are skipped. */
export interface PlannedStudent {
  index: number;
  username: string;
  tag: string;
  claim?: string;
  skipped?: { code: string; message: string };
}

/** A copy as planned: its batch's students (by index) and what its containers run. */
export interface PlannedCopy {
  batch: number;
  students: number[];
  parts: CopyPart[];
  readOnlyClaims: string[];
}

export interface Plan {
  students: PlannedStudent[];
  copies: PlannedCopy[];
}

/** The container of the student of that index. */
export const containerOf = (index: number): string => `student-${index}`;

const join = (...parts: (string | undefined)[]): string => posix.join(...parts.map((p) => p ?? ''));
const under = (mount: string, folder: string | undefined): string => join(mount, folder).replace(/\/$/, '');

type Claims = Map<string, V1PersistentVolumeClaim>;

/** The tenant's claims in its namespace, by name: one list, from the watch cache. */
async function tenantClaims(scope: TenantScope): Promise<Claims> {
  const listed = await listAll<V1PersistentVolumeClaim>(scope.resources, claimKind, {
    namespace: scope.namespace,
    labelSelector: ownerSelector({ tenant: scope.tenant.id }),
  });
  const own = listed.filter((c) => markedTenant(c) === scope.tenant.id);
  return new Map(own.map((c) => [c.metadata!.name!, c]));
}

/** key's claim among claims (today's name first), whatever its phase. */
const claimOf = (scope: TenantScope, claims: Claims, key: VolumeKey): V1PersistentVolumeClaim | undefined =>
  claimRefs(scope, key)
    .map((r) => claims.get(r.name))
    .find((c) => c !== undefined);

/** The Bound claim of the source, destination or shared claim: 404 when absent, 409 while it is not Bound. */
function anchorClaim(scope: TenantScope, claims: Claims, key: VolumeKey, what: string): string {
  const claim = claimOf(scope, claims, key);
  const who = `${key.username} (tag ${key.tag})`;
  if (!claim) {
    throw new NotFoundError(`The ${what} claim of ${who} does not exist in namespace ${scope.namespace}.`, {
      code: 'CLAIM_NOT_FOUND',
      details: { username: key.username, tag: key.tag },
    });
  }
  if (claim.status?.phase !== 'Bound') {
    throw new ConflictError(`The ${what} claim of ${who}, ${claim.metadata?.name}, is not Bound to a volume yet.`, {
      code: 'CLAIM_NOT_BOUND',
      details: { claim: claim.metadata?.name, phase: claim.status?.phase },
    });
  }
  return claim.metadata!.name!;
}

/** Each student's claim (the shared one, or their own if Bound), or why they are skipped. */
function placeStudents(
  scope: TenantScope,
  claims: Claims,
  request: OperationRequest,
  shared: string | undefined,
): PlannedStudent[] {
  return request.students.map(({ username, tag }, index) => {
    if (shared) return { index, username, tag, claim: shared };
    const claim = claimOf(scope, claims, { username, tag });
    if (!claim) {
      return { index, username, tag, skipped: { code: 'NO_VOLUME', message: `${username} has no claim (tag ${tag})` } };
    }
    if (claim.status?.phase !== 'Bound') {
      const message = `${username}'s claim ${claim.metadata?.name} is ${claim.status?.phase ?? 'Pending'}, not Bound`;
      return { index, username, tag, skipped: { code: 'CLAIM_NOT_BOUND', message } };
    }
    return { index, username, tag, claim: claim.metadata!.name! };
  });
}

/** What one student's container mounts and reads: the anchor claim's folder, and the student's. */
function partOf(request: OperationRequest, anchor: string, student: PlannedStudent): CopyPart {
  const { shared } = request;
  const name = containerOf(student.index);
  // A student's folder in the shared claim is mounted by subPath: their container reaches no one else's folder.
  const own = join(shared?.subpath, student.username);
  if (request.kind === 'distribution') {
    const studentMount: CopyMount = shared
      ? { pvc: student.claim!, mount: mounts.student, subpath: own }
      : { pvc: student.claim!, mount: mounts.student };
    const env = scriptEnv({
      job: request.mode === 'keep' ? 'distribute-keep' : 'distribute-replace',
      from: under(mounts.source, request.source.subpath),
      fromRoot: mounts.source,
      to: under(mounts.student, request.subpath),
      toRoot: mounts.student,
    });
    const source: CopyMount = { pvc: anchor, mount: mounts.source, readOnly: true };
    return { name, cmd: copyScript, env, vols: [source, studentMount] };
  }
  // Collected: the student's claim read-only (whole, so that a missing folder is reported, not made by the kubelet),
  // and only this student's folder of the destination.
  const studentRoot = shared ? under(mounts.student, own) : mounts.student;
  const env = scriptEnv({
    job: 'collect',
    from: under(studentRoot, request.subpath),
    fromRoot: studentRoot,
    to: mounts.destination,
    toRoot: mounts.destination,
    ...(request.cutoff ? { cutoff: Date.parse(request.cutoff) / 1000 } : {}),
  });
  const destination = join(request.destination.subpath, request.assignment, student.username);
  return {
    name,
    cmd: copyScript,
    env,
    vols: [
      { pvc: student.claim!, mount: mounts.student, readOnly: true },
      { pvc: anchor, mount: mounts.destination, subpath: destination },
    ],
  };
}

/** The claims a copy of request mounts only to read. */
function readOnlyClaims(request: OperationRequest, anchor: string, students: PlannedStudent[]): string[] {
  if (request.kind === 'distribution') return students.some((s) => s.claim === anchor) ? [] : [anchor];
  return [...new Set(students.map((s) => s.claim!))].filter((c) => c !== anchor);
}

/** request planned in scope: 404 or 409 (nothing made) when its source, destination or shared claim is not there. */
export async function planOperation(scope: TenantScope, request: OperationRequest): Promise<Plan> {
  const claims = await tenantClaims(scope);
  const anchorKey = request.kind === 'distribution' ? request.source : request.destination;
  const anchor = anchorClaim(scope, claims, anchorKey, request.kind === 'distribution' ? 'source' : 'destination');
  const shared = request.shared ? anchorClaim(scope, claims, request.shared, 'shared') : undefined;
  const students = placeStudents(scope, claims, request, shared);
  const size = shared ? studentsPerCopy.shared : studentsPerCopy.own;
  const placed = students.filter((s) => s.claim !== undefined);
  const copies: PlannedCopy[] = [];
  for (let start = 0; start < placed.length; start += size) {
    const batch = placed.slice(start, start + size);
    copies.push({
      batch: copies.length,
      students: batch.map((s) => s.index),
      parts: batch.map((s) => partOf(request, anchor, s)),
      readOnlyClaims: readOnlyClaims(request, anchor, batch),
    });
  }
  return { students, copies };
}
