// Whose volume and claims: a user's key within a tenant, the owner it gives, and the names (and references) the
// tenant's templates give the user's volume and claims, today's and, for escaped names, those of before NAME_KEY. The
// one leaf that volumes, claims, cleanup and the routes all read.
import { TemplateError } from '../errors.ts';
import { objectName } from '../kube/names.ts';
import type { ObjectRef } from '../kube/objects.ts';
import type { Owner } from '../ownership/ownership.ts';
import { fillHoles } from '../templates/fill.ts';
import { expectKind, type TemplateObject, templateObject } from '../templates/template.ts';
import type { RenderScope } from '../tenants/scope.ts';
import type { Tenant } from '../tenants/tenant.ts';

/** Whose volume, within the scope's tenant: the request's username and tag. */
export interface VolumeKey {
  username: string;
  tag: string;
}

/** The owner of key's volume and claims: the scope's tenant (the one the tenant service answered for), user and tag. */
export const volumeOwner = (scope: Pick<RenderScope, 'tenant'>, key: VolumeKey): Owner => ({
  tenant: scope.tenant.id,
  user: key.username,
  tag: key.tag,
});

/** The values the templates' holes take, in order: (tenant id, username, tag). */
export const triple = (scope: Pick<RenderScope, 'tenant'>, key: VolumeKey): string[] => [
  scope.tenant.id,
  key.username,
  key.tag,
];

/**
 * A field of the template filled with (tenant id, username, tag) and made a valid name: the name made today (an
 * escaped one keyed with NAME_KEY), then, where escaping differs, the name it had before the key, still found.
 */
function tripleNames(scope: RenderScope, value: unknown, key: VolumeKey, field: string): string[] {
  const values = triple(scope, key);
  const rendered = fillHoles(value, values, field);
  const names = [
    objectName(rendered, values, 'subdomain', scope.nameKey),
    objectName(rendered, values, 'subdomain', { legacy: true }),
  ];
  return names[0] === names[1] ? [names[0]!] : names;
}

/** The tenant's pv template, checked to make a PersistentVolume. */
export function pvTemplate(tenant: Tenant): TemplateObject {
  const t = templateObject(tenant, 'pv');
  expectKind(tenant, 'pv', t.kind, ['PersistentVolume']);
  return t;
}

/** The tenant's pvc (or, with match, match_pvc) template, checked to make a claim. */
export function claimTemplate(tenant: Tenant, match: boolean): TemplateObject {
  const name = match ? 'match_pvc' : 'pvc';
  const t = templateObject(tenant, name);
  expectKind(tenant, name, t.kind, ['PersistentVolumeClaim']);
  return t;
}

const hasTemplate = (tenant: Tenant, name: 'pvc' | 'match_pvc'): boolean => !!tenant.resources?.templates?.[name];

/** The names key's PV may have: the one made today first, then its name from before NAME_KEY, if different. */
export function volumeRefs(scope: RenderScope, key: VolumeKey): ObjectRef[] {
  const t = pvTemplate(scope.tenant);
  return tripleNames(scope, t.metadata.name, key, 'pv metadata.name').map((name) => ({
    apiVersion: t.apiVersion,
    kind: t.kind,
    name,
  }));
}

/** The claims key may have, per claim template (match first), each name made today before its older form. */
export function claimRefs(scope: RenderScope, key: VolumeKey, match?: boolean): ObjectRef[] {
  const { tenant, namespace } = scope;
  const kinds = match === undefined ? [true, false] : [match];
  const templates = kinds
    .filter((m) => hasTemplate(tenant, m ? 'match_pvc' : 'pvc'))
    .map((m) => claimTemplate(tenant, m));
  if (templates.length === 0) {
    throw new TemplateError(`Tenant ${tenant.id} has neither a "pvc" nor a "match_pvc" template.`, {
      code: 'TEMPLATE_MISSING',
    });
  }
  const refs = templates.flatMap((t) =>
    tripleNames(scope, t.metadata.name, key, 'pvc metadata.name').map((name) => ({
      apiVersion: t.apiVersion,
      kind: t.kind,
      namespace,
      name,
    })),
  );
  return refs.filter((r, i) => refs.findIndex((o) => o.name === r.name) === i);
}

/**
 * The names of the claim key's volume is reserved for: the match claim's (the plain one's without a match template).
 */
export function reservationRefs(scope: RenderScope, key: VolumeKey): ObjectRef[] {
  return claimRefs(scope, key, hasTemplate(scope.tenant, 'match_pvc'));
}
