// A tenant's scope for rendering, as deps.scope builds it, with the local settings and no cluster.

import type { ClaimSettings, CopySettings, NfsSettings } from '../../lib/config/settings.ts';
import type { RenderScope } from '../../lib/tenants/scope.ts';
import { TenantSchema, tenantNamespace } from '../../lib/tenants/tenant.ts';

export const nfs: NfsSettings = { server: '10.0.0.2', prefix: '/exports/moop', tenantScope: true };
export const claims: ClaimSettings = { storageClasses: ['standard'] };
export const copies: CopySettings = {
  activeDeadlineSeconds: 600,
  maxActiveDeadlineSeconds: 86_400,
  backoffLimit: 1,
  retentionSeconds: 3600,
  images: ['registry.mooplab.com:8443/', 'docker.io/library/busybox'],
  tolerations: ['moop.io/real-node=true:NoSchedule'],
  priorityClasses: [],
};
export const nameKey = 'a-test-name-key-of-some-length';

/** The scope of a tenant record (its namespace, or its id), with the settings above unless changed. */
export function renderScope(record: unknown, changes: Partial<Omit<RenderScope, 'tenant'>> = {}): RenderScope {
  const tenant = TenantSchema.parse(record);
  return { tenant, namespace: tenantNamespace(tenant), nfs, claims, copies, nameKey, ...changes };
}
