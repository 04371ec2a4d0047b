// Creates the namespaces of the local tenants file's tenants, as a MOOP operator does after creating a tenant.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';

interface TenantsFile {
  tenants: { id: string; namespace?: string }[];
}

/** Creates each tenant's namespace (its `namespace`, else its id) unless it exists. */
export async function createTenantNamespaces(kubeconfig: string, tenantsFile: string, log: (line: string) => void): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const { tenants } = JSON.parse(readFileSync(tenantsFile, 'utf8')) as TenantsFile;
  for (const tenant of tenants) {
    const name = tenant.namespace || tenant.id;
    try {
      await core.createNamespace({ body: { metadata: { name, labels: { 'moop.io/tenant': tenant.id } } } });
      log(`[start] created namespace ${name} for tenant ${tenant.id}`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 409) continue;
      log(`[start] could not create namespace ${name} for tenant ${tenant.id} (HTTP ${code ?? String(err)}); create it yourself`);
    }
  }
}
