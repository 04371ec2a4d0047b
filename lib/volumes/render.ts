// A user's PersistentVolume rendered from the tenant's pv template: on MOOP's NFS, at the requested folder, kept
// when its claim goes, reserved for the user's claim, owned by the user.
import { posix } from 'node:path';
import type { V1PersistentVolume } from '@kubernetes/client-node';
import type { NfsSettings } from '../config/settings.ts';
import { BadRequestError, TemplateError } from '../errors.ts';
import { labelValue } from '../kube/names.ts';
import { markOwned } from '../ownership/ownership.ts';
import { fillHoles } from '../templates/fill.ts';
import { refuseUnsafe, unsafeMetadata, unsafeName } from '../templates/safety.ts';
import { at } from '../templates/template.ts';
import type { RenderScope } from '../tenants/scope.ts';
import { pvTemplate, triple, type VolumeKey, volumeOwner } from './key.ts';
import { type NfsLocation, normalise, unsafeVolumeFields } from './safety.ts';

/**
 * 400 unless path (normalised) is the tenant's folder, its namespace, or lies below it: MOOP's own tools lay them out
 * so.
 */
function assertInTenantFolder(path: string, namespace: string): void {
  if (path === namespace || path.startsWith(`${namespace}/`)) return;
  throw new BadRequestError(
    `path must be the tenant's folder "${namespace}" or lie below it ("${namespace}/..."): a tenant's volumes stay in its own NFS folder.`,
    {
      code: 'PATH_OUTSIDE_TENANT_FOLDER',
      details: [{ field: 'path', message: `must be "${namespace}" or start with "${namespace}/"` }],
    },
  );
}

/** Where a volume of path lies: NFS_SERVER, and NFS_PREFIX joined with path normalised (the schema refused ".."). */
export function nfsLocation(nfs: NfsSettings, path: string): NfsLocation & { prefix: string; rel: string } {
  const prefix = posix.normalize(nfs.prefix.endsWith('/') ? nfs.prefix : `${nfs.prefix}/`);
  const rel = normalise(path).slice(1);
  return { server: nfs.server, prefix, rel, path: normalise(`${prefix}${rel}`) };
}

/**
 * Renders the tenant's pv template for key: on NFS_SERVER at NFS_PREFIX joined with the path, kept when its claim goes,
 * reserved for the claim `claimName` of the same tenant, user and tag, owned by key, named `name` (one of volumeRefs).
 */
export function renderVolume(
  scope: RenderScope,
  key: VolumeKey & { path: string },
  names: { name: string; claimName: string },
): V1PersistentVolume {
  const { tenant, nfs, namespace } = scope;
  const t = pvTemplate(tenant);
  const location = nfsLocation(nfs, key.path);
  if (nfs.tenantScope) assertInTenantFolder(location.rel, namespace);
  const spec = at(t, 'spec') as Record<string, unknown> | undefined;
  refuseUnsafe(tenant, 'pv', [
    ...unsafeMetadata(t.metadata, 'metadata'),
    ...unsafeName(names.name, tenant, 'metadata.name'),
    ...unsafeName(names.claimName, tenant, 'the claim name it is reserved for'),
    ...unsafeVolumeFields(spec, nfs, location),
  ]);
  const nfsSpec = at(t, 'spec', 'nfs') as Record<string, unknown> | undefined;
  if (!nfsSpec || typeof nfsSpec !== 'object') {
    throw new TemplateError(`Tenant ${tenant.id}'s "pv" template has no spec.nfs.`, { code: 'TEMPLATE_INVALID' });
  }
  const labels = { ...t.metadata.labels };
  if (labels.pv !== undefined)
    labels.pv = labelValue(fillHoles(labels.pv, triple(scope, key), 'pv metadata.labels.pv'), triple(scope, key));
  const { namespace: _clusterScoped, ...metadata } = t.metadata;
  const volume: V1PersistentVolume = {
    ...t,
    metadata: { ...metadata, name: names.name, labels },
    spec: {
      ...t.spec,
      nfs: { ...nfsSpec, server: location.server, path: location.path },
      // Recycle would make the cluster delete everything under the path when the claim goes: students' work is kept.
      persistentVolumeReclaimPolicy: 'Retain',
      // Pre-bound to the claim of the same tenant, user and tag: no other claim can take this volume.
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: names.claimName },
    } as V1PersistentVolume['spec'],
  };
  return markOwned(volume, volumeOwner(scope, key));
}
