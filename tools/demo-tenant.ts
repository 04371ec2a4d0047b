// Creates tenants' namespaces, as a MOOP operator does after creating a tenant: marked as a tenant's (the service's
// admission policy lets it act only there) and held to Pod Security's baseline.

import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

/** The labels an operator gives a tenant's namespace (README, "Tenant namespaces"). */
export const tenantNamespaceLabels = { 'moop.io/tenant': 'true', 'pod-security.kubernetes.io/enforce': 'baseline' } as const;

/** The namespaces of the tenants in a local tenants file (each tenant's `namespace`, else its id). */
export function namespacesOfTenantsFile(tenantsFile: string): string[] {
  const { tenants } = JSON.parse(readFileSync(tenantsFile, 'utf8')) as { tenants: { id: string; namespace?: string }[] };
  return tenants.map((t) => t.namespace || t.id);
}

/** Creates each namespace unless it exists; a failure is reported, not thrown, since the cluster may not be ours. */
export async function createTenantNamespaces(kubeconfig: string, namespaces: string[], log: (line: string) => void): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of namespaces) {
    try {
      await core.createNamespace({ body: { metadata: { name, labels: { ...tenantNamespaceLabels } } } });
      log(`[tenants] created namespace ${name}`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 409) log(`[tenants] could not create namespace ${name} (HTTP ${code ?? String(err)}); create it yourself`);
    }
  }
}
