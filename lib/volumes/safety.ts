// What a pv template may hold: MOOP's NFS, kept forever, with nothing that decides where it points or what binds it.
import type { NfsSettings } from '../config/settings.ts';
import { fillHoles } from '../templates/fill.ts';
import { isSet, type Unsafe } from '../templates/safety.ts';

/** The spec fields a pv template may set; the service writes nfs.server, nfs.path and claimRef itself. */
const allowed = new Set([
  'accessModes',
  'capacity',
  'nfs',
  'mountOptions',
  'storageClassName',
  'volumeMode',
  'persistentVolumeReclaimPolicy',
]);

/** NFS tuning only: nothing that names another address or port (the cluster's policy holds the same list). */
export const nfsMountOption =
  /^(hard|soft|ro|rw|sync|async|noatime|nodiratime|relatime|noac|nolock|lock|intr|nointr|cto|nocto|(nfs)?vers=[0-9.]+|proto=(tcp|udp)|(timeo|retrans|rsize|wsize|actimeo|acregmin|acregmax|acdirmin|acdirmax)=[0-9]+)$/;

/** Where a volume is: always NFS_SERVER, and NFS_PREFIX joined with the request's normalised path. */
export interface NfsLocation {
  server: string;
  path: string;
}

/** Every field of a pv template's spec that would put the volume elsewhere, bind it otherwise, or let it be wiped. */
export function unsafeVolumeFields(
  spec: Record<string, unknown> | undefined,
  nfs: NfsSettings,
  at: NfsLocation & { prefix: string; rel: string },
): Unsafe[] {
  const problems: Unsafe[] = [];
  for (const [field, value] of Object.entries(spec ?? {})) {
    if (!isSet(value) || allowed.has(field)) continue;
    const onNode = field === 'hostPath' || field === 'local';
    problems.push({
      field: `spec.${field}`,
      rule: onNode
        ? 'volumes on the NFS server, never on a node'
        : 'volumes on the NFS server only, reserved by the service for their claim',
    });
  }
  const reclaim = spec?.persistentVolumeReclaimPolicy;
  if (isSet(reclaim) && reclaim !== 'Retain') {
    problems.push({
      field: 'spec.persistentVolumeReclaimPolicy',
      rule: "Retain only: Recycle and Delete wipe or hand away students' work",
    });
  }
  if (isSet(spec?.volumeMode) && spec?.volumeMode !== 'Filesystem')
    problems.push({ field: 'spec.volumeMode', rule: 'Filesystem only' });
  const options = spec?.mountOptions;
  if (
    isSet(options) &&
    (!Array.isArray(options) || !options.every((o) => typeof o === 'string' && nfsMountOption.test(o)))
  ) {
    problems.push({ field: 'spec.mountOptions', rule: 'NFS tuning only, nothing that names another address or port' });
  }
  const source = spec?.nfs as Record<string, unknown> | undefined;
  if (source && typeof source === 'object') {
    // The holes are the seeds' ({} for the server; {}{} for prefix and path): whatever else the template writes
    // around them must not move the volume, to the NFS root, another school's folder or another server.
    if (
      typeof source.server === 'string' &&
      fillHoles(source.server, [nfs.server], 'pv spec.nfs.server') !== at.server
    ) {
      problems.push({ field: 'spec.nfs.server', rule: 'always the NFS_SERVER of the service ({})' });
    }
    if (
      typeof source.path === 'string' &&
      normalise(fillHoles(source.path, [at.prefix, at.rel], 'pv spec.nfs.path')) !== at.path
    ) {
      problems.push({ field: 'spec.nfs.path', rule: "always NFS_PREFIX joined with the request's path ({}{})" });
    }
    for (const field of Object.keys(source)) {
      if (!['server', 'path', 'readOnly'].includes(field))
        problems.push({ field: `spec.nfs.${field}`, rule: 'server, path and readOnly only' });
    }
  }
  return problems;
}

/** An absolute path with no empty, "." or ".." segment and no trailing "/" (".." is kept, so that it never matches). */
export function normalise(path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  return `/${segments.join('/')}`;
}
