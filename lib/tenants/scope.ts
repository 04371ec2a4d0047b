// What a route's domain operation works in: one tenant, its namespace, the cluster, and the settings that shape
// objects.

import type { ClaimSettings, CopySettings, NfsSettings, Settings } from '../config/settings.ts';
import type { ResourceClient } from '../kube/resource-client.ts';
import { type Tenant, tenantNamespace } from './tenant.ts';

export interface TenantScope {
  tenant: Tenant;
  namespace: string;
  resources: ResourceClient;
  nfs: NfsSettings;
  claims: ClaimSettings;
  copies: CopySettings;
  /** The secret key of escaped names' hashes (NAME_KEY). */
  nameKey: string;
}

/** What rendering reads of a scope: everything but the cluster. */
export type RenderScope = Omit<TenantScope, 'resources'>;

/** The scope of tenant. */
export function scopeOf(
  tenant: Tenant,
  resources: ResourceClient,
  settings: Pick<Settings, 'nfs' | 'claims' | 'copies'>,
  nameKey: string,
): TenantScope {
  return {
    tenant,
    namespace: tenantNamespace(tenant),
    resources,
    nfs: settings.nfs,
    claims: settings.claims,
    copies: settings.copies,
    nameKey,
  };
}
