// What a route's domain operation works in: one tenant, its namespace, the cluster, and the settings that shape objects.
import type { Resources } from './kube/resources.ts';
import type { Settings } from './settings.ts';
import { type Tenant, tenantNamespace } from './tenants/tenant.ts';

export interface TenantScope {
  tenant: Tenant;
  namespace: string;
  resources: Resources;
  settings: Settings;
}

/** The scope of tenant. */
export function scopeOf(tenant: Tenant, resources: Resources, settings: Settings): TenantScope {
  return { tenant, namespace: tenantNamespace(tenant), resources, settings };
}
