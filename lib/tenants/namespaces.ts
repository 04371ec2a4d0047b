// The tenant namespaces: those `npm run prepare-tenant` labelled moop.io/tenant, where the service may act at all.
import type { ResourceClient } from '../kube/resource-client.ts';
import { tenantLabel } from '../ownership/ownership.ts';

/**
 * The tenant namespaces, or those of one tenant, but those being deleted, each with the tenant it is prepared for: the
 * service reads pods, Jobs and claims only there, one namespace at a time.
 */
export async function tenantNamespaceOwners(resources: ResourceClient, tenant?: string): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const labelSelector = tenant === undefined ? tenantLabel : `${tenantLabel}=${tenant}`;
  for await (const page of resources.pages('v1', 'Namespace', { labelSelector, limit: 500 })) {
    // A namespace being deleted takes what it holds with it (its RoleBindings may already be gone).
    for (const n of page.filter((n) => !n.metadata?.deletionTimestamp))
      owners.set(n.metadata!.name!, n.metadata?.labels?.[tenantLabel] ?? '');
  }
  return owners;
}

/** The names of the tenant namespaces, or of those of one tenant, but those being deleted. */
export async function tenantNamespaces(resources: ResourceClient, tenant?: string): Promise<string[]> {
  return [...(await tenantNamespaceOwners(resources, tenant)).keys()];
}
