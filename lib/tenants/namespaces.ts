// The tenant namespaces: those `npm run prepare-tenant` labelled moop.io/tenant, where the service may act at all.
import type { ResourceClient } from '../kube/resource-client.ts';
import { tenantLabel } from '../ownership/ownership.ts';

/**
 * The tenant namespaces, or those of one tenant, but those being deleted: the service reads pods, Jobs, claims and
 * its ConfigMaps only there, one namespace at a time.
 */
export async function tenantNamespaces(resources: ResourceClient, tenant?: string): Promise<string[]> {
  const names: string[] = [];
  const labelSelector = tenant === undefined ? tenantLabel : `${tenantLabel}=${tenant}`;
  for await (const page of resources.pages('v1', 'Namespace', { labelSelector, limit: 500 })) {
    // A namespace being deleted takes what it holds with it (its RoleBindings may already be gone).
    names.push(...page.filter((n) => !n.metadata?.deletionTimestamp).map((n) => n.metadata!.name!));
  }
  return names;
}
