// PersistentVolumes and claims rendered from the tenant's templates, in the seeds' hole order.

import { posix } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { BadRequestError, TemplateError } from '../errors.ts';
import type { ObjectRef } from '../kube/resources.ts';
import { labelValue, objectName } from '../names.ts';
import { markOwned, type Owner } from '../ownership.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { fillHoles } from './fill.ts';
import { refuseUnsafe, unsafeVolumeFields } from './safety.ts';
import { at, expectKind, type TemplateObject, templateObject } from './template.ts';

/** Whose volume: the request's tenant id, username and tag. */
export interface VolumeKey {
  tenant: string;
  username: string;
  tag: string;
}

export const volumeOwner = (key: VolumeKey): Owner => ({ tenant: key.tenant, user: key.username, tag: key.tag });
const triple = (key: VolumeKey): string[] => [key.tenant, key.username, key.tag];

/** A field of the template filled with (tenant id, username, tag) and made a valid name. */
function tripleName(value: unknown, key: VolumeKey, field: string): string {
  return objectName(fillHoles(value, triple(key), field), triple(key));
}

function pvTemplate(tenant: Tenant): TemplateObject {
  const t = templateObject(tenant, 'pv');
  expectKind(tenant, 'pv', t.kind, ['PersistentVolume']);
  return t;
}

function claimTemplate(tenant: Tenant, match: boolean): TemplateObject {
  const name = match ? 'match_pvc' : 'pvc';
  const t = templateObject(tenant, name);
  expectKind(tenant, name, t.kind, ['PersistentVolumeClaim']);
  return t;
}

const hasTemplate = (tenant: Tenant, name: 'pvc' | 'match_pvc'): boolean => !!tenant.resources?.templates?.[name];

/** The PV of key, as GET and DELETE look for it. */
export function volumeRef(tenant: Tenant, key: VolumeKey): ObjectRef {
  const t = pvTemplate(tenant);
  return { apiVersion: t.apiVersion, kind: t.kind, name: tripleName(t.metadata.name, key, 'pv metadata.name') };
}

/** The claims key may have, one per claim template with a distinct name (the seeds' two templates name alike). */
export function claimRefs(tenant: Tenant, key: VolumeKey, namespace: string): ObjectRef[] {
  const templates = [true, false].filter((match) => hasTemplate(tenant, match ? 'match_pvc' : 'pvc')).map((m) => claimTemplate(tenant, m));
  if (templates.length === 0) {
    throw new TemplateError(`Tenant ${tenant.id} has neither a "pvc" nor a "match_pvc" template.`, { code: 'TEMPLATE_MISSING' });
  }
  const refs = templates.map((t) => ({ apiVersion: t.apiVersion, kind: t.kind, namespace, name: tripleName(t.metadata.name, key, 'pvc metadata.name') }));
  return refs.filter((r, i) => refs.findIndex((o) => o.name === r.name) === i);
}

/** prefix joined with a relative path; 400-level problems are caught by the request schema, this re-checks the result. */
export function nfsPath(prefix: string, path: string): { prefix: string; path: string } {
  const base = posix.normalize(prefix.endsWith('/') ? prefix : `${prefix}/`);
  return { prefix: base, path: posix.normalize(path) };
}

/** Where volumes live: the NFS server, the prefix, and whether each tenant is held to its own folder below it. */
export interface NfsSettings {
  server: string;
  prefix: string;
  /** A volume's path must be the tenant's namespace or lie below it (NFS_TENANT_SCOPE). */
  tenantScope: boolean;
}

/** 400 unless path (normalised) is the tenant's folder, its namespace, or lies below it: MOOP's own tools lay them out so. */
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

/** Renders the tenant's pv template for key: NFS server and path filled, reserved for key's claim, owned by key. */
export function renderVolume(tenant: Tenant, key: VolumeKey & { path: string }, nfs: NfsSettings, namespace: string): V1PersistentVolume {
  const t = pvTemplate(tenant);
  if (nfs.tenantScope) assertInTenantFolder(nfsPath(nfs.prefix, key.path).path, namespace);
  const name = tripleName(t.metadata.name, key, 'pv metadata.name');
  const labels = { ...t.metadata.labels };
  if (labels.pv !== undefined) labels.pv = labelValue(fillHoles(labels.pv, triple(key), 'pv metadata.labels.pv'), triple(key));
  refuseUnsafe(tenant, 'pv', unsafeVolumeFields(at(t, 'spec') as Record<string, unknown> | undefined));
  const nfsSpec = at(t, 'spec', 'nfs') as Record<string, unknown> | undefined;
  if (!nfsSpec || typeof nfsSpec !== 'object') {
    throw new TemplateError(`Tenant ${tenant.id}'s "pv" template has no spec.nfs.`, { code: 'TEMPLATE_INVALID' });
  }
  const { prefix, path } = nfsPath(nfs.prefix, key.path);
  const fullPath = fillHoles(nfsSpec.path, [prefix, path], 'pv spec.nfs.path');
  if (!posix.normalize(fullPath).startsWith(prefix)) {
    throw new TemplateError(`Tenant ${tenant.id}'s "pv" template puts the volume at ${fullPath}, outside the NFS prefix ${prefix}.`, {
      code: 'TEMPLATE_INVALID',
    });
  }
  const { namespace: _clusterScoped, ...metadata } = t.metadata;
  const [claim] = claimRefs(tenant, key, namespace);
  const volume: V1PersistentVolume = {
    ...t,
    metadata: { ...metadata, name, labels },
    spec: {
      ...t.spec,
      nfs: { ...nfsSpec, server: fillHoles(nfsSpec.server, [nfs.server], 'pv spec.nfs.server'), path: fullPath },
      // Pre-bound to the claim of the same tenant, user and tag: no other claim can take this volume.
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claim!.name },
    } as V1PersistentVolume['spec'],
  };
  return markOwned(volume, volumeOwner(key));
}

/** Renders the tenant's pvc (or, with match, match_pvc) template for key in the tenant's namespace. */
export function renderClaim(tenant: Tenant, key: VolumeKey & { match: boolean }, namespace: string): V1PersistentVolumeClaim {
  const t = claimTemplate(tenant, key.match);
  const template = key.match ? 'match_pvc' : 'pvc';
  const claim: V1PersistentVolumeClaim = {
    ...t,
    metadata: { ...t.metadata, namespace, name: tripleName(t.metadata.name, key, `${template} metadata.name`) },
  } as V1PersistentVolumeClaim;
  if (key.match) {
    const selector = at(t, 'spec', 'selector', 'matchLabels', 'pv');
    if (selector === undefined) {
      throw new TemplateError(`Tenant ${tenant.id}'s "match_pvc" template has no spec.selector.matchLabels.pv.`, { code: 'TEMPLATE_INVALID' });
    }
    const spec = claim.spec!;
    // The same label rule as the volume's own pv label, so that the two always agree.
    const pv = labelValue(fillHoles(selector, triple(key), 'match_pvc spec.selector.matchLabels.pv'), triple(key));
    claim.spec = { ...spec, selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, pv } } };
  }
  return markOwned(claim, volumeOwner(key));
}
