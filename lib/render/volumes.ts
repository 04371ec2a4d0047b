// PersistentVolumes and claims rendered from the tenant's templates, in the seeds' hole order.

import { posix } from 'node:path';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { BadRequestError, TemplateError } from '../errors.ts';
import type { ObjectRef } from '../kube/resources.ts';
import { labelValue, objectName } from '../names.ts';
import { markOwned, type Owner, ownerLabels } from '../ownership.ts';
import type { RenderScope } from '../scope.ts';
import type { NfsSettings } from '../settings.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { unsafeClaimFields } from './claim-safety.ts';
import { fillHoles } from './fill.ts';
import { refuseUnsafe, type Unsafe, unsafeMetadata, unsafeName } from './safety.ts';
import { at, expectKind, type TemplateObject, templateObject } from './template.ts';
import { type NfsLocation, normalise, unsafeVolumeFields } from './volume-safety.ts';

/** Whose volume: the request's tenant id, username and tag. */
export interface VolumeKey {
  tenant: string;
  username: string;
  tag: string;
}

export const volumeOwner = (key: VolumeKey): Owner => ({ tenant: key.tenant, user: key.username, tag: key.tag });
const triple = (key: VolumeKey): string[] => [key.tenant, key.username, key.tag];

/**
 * A field of the template filled with (tenant id, username, tag) and made a valid name: the name made today (an
 * escaped one keyed with NAME_KEY), then, where escaping differs, the name it had before the key, still found.
 */
function tripleNames(scope: RenderScope, value: unknown, key: VolumeKey, field: string): string[] {
  const rendered = fillHoles(value, triple(key), field);
  const names = [objectName(rendered, triple(key), 'subdomain', scope.nameKey), objectName(rendered, triple(key), 'subdomain', { legacy: true })];
  return names[0] === names[1] ? [names[0]!] : names;
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

/** The names key's PV may have: the one made today first, then its name from before NAME_KEY, if different. */
export function volumeRefs(scope: RenderScope, key: VolumeKey): ObjectRef[] {
  const t = pvTemplate(scope.tenant);
  return tripleNames(scope, t.metadata.name, key, 'pv metadata.name').map((name) => ({ apiVersion: t.apiVersion, kind: t.kind, name }));
}

/** The claims key may have, per claim template (match first), each name made today before its older form. */
export function claimRefs(scope: RenderScope, key: VolumeKey, match?: boolean): ObjectRef[] {
  const { tenant, namespace } = scope;
  const kinds = match === undefined ? [true, false] : [match];
  const templates = kinds.filter((m) => hasTemplate(tenant, m ? 'match_pvc' : 'pvc')).map((m) => claimTemplate(tenant, m));
  if (templates.length === 0) {
    throw new TemplateError(`Tenant ${tenant.id} has neither a "pvc" nor a "match_pvc" template.`, { code: 'TEMPLATE_MISSING' });
  }
  const refs = templates.flatMap((t) =>
    tripleNames(scope, t.metadata.name, key, 'pvc metadata.name').map((name) => ({ apiVersion: t.apiVersion, kind: t.kind, namespace, name })),
  );
  return refs.filter((r, i) => refs.findIndex((o) => o.name === r.name) === i);
}

/** The names of the claim key's volume is reserved for: the match claim's (the plain one's without a match template). */
export function reservationRefs(scope: RenderScope, key: VolumeKey): ObjectRef[] {
  return claimRefs(scope, key, hasTemplate(scope.tenant, 'match_pvc'));
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

/** Where a volume of path lies: NFS_SERVER, and NFS_PREFIX joined with path normalised (the schema refused ".."). */
export function nfsLocation(nfs: NfsSettings, path: string): NfsLocation & { prefix: string; rel: string } {
  const prefix = posix.normalize(nfs.prefix.endsWith('/') ? nfs.prefix : `${nfs.prefix}/`);
  const rel = normalise(path).slice(1);
  return { server: nfs.server, prefix, rel, path: normalise(`${prefix}${rel}`) };
}

/** The match claim's selector: its own volume by the pv label, and only a volume of the service for this tenant. */
function ownVolumeSelector(value: string, key: VolumeKey): Record<string, string> {
  return { pv: labelValue(value, triple(key)), ...ownerLabels({ tenant: key.tenant }) };
}

/**
 * Renders the tenant's pv template for key: on NFS_SERVER at NFS_PREFIX joined with the path, kept when its claim goes,
 * reserved for the claim `claimName` of the same tenant, user and tag, owned by key, named `name` (one of volumeRefs).
 */
export function renderVolume(scope: RenderScope, key: VolumeKey & { path: string }, names: { name: string; claimName: string }): V1PersistentVolume {
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
  if (labels.pv !== undefined) labels.pv = labelValue(fillHoles(labels.pv, triple(key), 'pv metadata.labels.pv'), triple(key));
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
  return markOwned(volume, volumeOwner(key));
}

/** Renders the tenant's pvc (or, with match, match_pvc) template for key in the tenant's namespace, named `name`. */
export function renderClaim(scope: RenderScope, key: VolumeKey & { match: boolean }, name: string): V1PersistentVolumeClaim {
  const { tenant, namespace } = scope;
  const t = claimTemplate(tenant, key.match);
  const template = key.match ? 'match_pvc' : 'pvc';
  const problems: Unsafe[] = [
    ...unsafeMetadata(t.metadata, 'metadata'),
    ...unsafeName(name, tenant, 'metadata.name'),
    ...unsafeClaimFields(at(t, 'spec') as Record<string, unknown> | undefined, key.match, scope.claims),
  ];
  refuseUnsafe(tenant, template, problems);
  const claim: V1PersistentVolumeClaim = { ...t, metadata: { ...t.metadata, namespace, name } } as V1PersistentVolumeClaim;
  if (key.match) {
    const selector = at(t, 'spec', 'selector', 'matchLabels', 'pv');
    if (selector === undefined) {
      throw new TemplateError(`Tenant ${tenant.id}'s "match_pvc" template has no spec.selector.matchLabels.pv.`, { code: 'TEMPLATE_INVALID' });
    }
    const spec = claim.spec!;
    // The same label rule as the volume's own pv label, so that the two always agree.
    const own = ownVolumeSelector(fillHoles(selector, triple(key), 'match_pvc spec.selector.matchLabels.pv'), key);
    claim.spec = { ...spec, selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, ...own } } };
  }
  return markOwned(claim, volumeOwner(key));
}
