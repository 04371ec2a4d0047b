// The local cluster's tenants, made usable as a MOOP operator makes a real cluster's: the service's policy values
// (deploy/policy-params.yaml) from the service's own settings, and each tenant's namespace prepared as
// `npm run prepare-tenant` prepares it (lib/preparation.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml, type RbacV1Subject, type V1ClusterRoleBinding, type V1ConfigMap } from '@kubernetes/client-node';
import type { Config } from '../lib/config/config.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { Resources } from '../lib/kube/resources.ts';
import { prepareTenant } from '../lib/tenants/preparation.ts';
import { type Tenant, TenantSchema } from '../lib/tenants/tenant.ts';

const deployDir = join(import.meta.dirname, '../deploy');
const manifest = (file: string): unknown[] => loadAllYaml(readFileSync(join(deployDir, file), 'utf8'));

/** Whom deploy/rbac.yaml binds the service's role to: its service account and the EKS group. */
export function serviceSubjects(): RbacV1Subject[] {
  const binding = manifest('rbac.yaml').find(
    (o) => (o as { kind?: string }).kind === 'ClusterRoleBinding',
  ) as V1ClusterRoleBinding;
  return binding.subjects!;
}

/** deploy/policy-params.yaml as it ships. */
export function shippedPolicyParams(): V1ConfigMap {
  return manifest('policy-params.yaml')[0] as V1ConfigMap;
}

/** What deploy/policy-params.yaml must say for the service's settings: the cluster holds the service to them too. */
export function policyParamsOf(c: Config): Record<string, string> {
  return {
    nfsServer: c.NFS_SERVER,
    nfsPrefix: c.NFS_PREFIX,
    nfsTenantScope: String(c.NFS_TENANT_SCOPE),
    storageClasses: c.CLAIM_STORAGE_CLASSES.join(','),
    images: c.COPY_IMAGES.join(','),
    tolerations: (c.COPY_TOLERATIONS ?? []).join(','),
    priorityClasses: (c.COPY_PRIORITY_CLASSES ?? []).join(','),
    maxActiveDeadlineSeconds: String(c.JOB_MAX_ACTIVE_DEADLINE_SECONDS),
  };
}

/** Runs work with the operator's (admin's) access to the cluster of kubeconfig. */
async function asOperator<T>(kubeconfig: string, work: (resources: Resources) => Promise<T>): Promise<T> {
  const client = new KubeClient(loadKubeconfig({ file: kubeconfig }), { timeoutMs: 30_000 });
  try {
    return await work(new Resources(client));
  } finally {
    await client.close();
  }
}

/**
 * Sets the policy's values (deploy/policy-params.yaml) to those of config, as an operator edits and applies the file.
 */
export async function applyPolicyParams(kubeconfig: string, config: Config): Promise<void> {
  const shipped = shippedPolicyParams();
  await asOperator(kubeconfig, (resources) =>
    resources.apply(
      { ...shipped, apiVersion: 'v1', kind: 'ConfigMap', data: policyParamsOf(config) },
      'moop-local-operator',
    ),
  );
}

/** The tenants of a local tenants file. */
export function tenantsOfFile(tenantsFile: string): Tenant[] {
  const { tenants } = JSON.parse(readFileSync(tenantsFile, 'utf8')) as { tenants: unknown[] };
  return tenants.map((t) => TenantSchema.parse(t));
}

/** Prepares each tenant's namespace; a failure is reported, not thrown, since the cluster may not be ours. */
export async function prepareTenants(
  kubeconfig: string,
  tenants: Tenant[],
  log: (line: string) => void,
): Promise<void> {
  const subjects = serviceSubjects();
  await asOperator(kubeconfig, async (resources) => {
    for (const tenant of tenants) {
      try {
        const report = await prepareTenant(resources, tenant, subjects);
        if (report.namespaceCreated) log(`[tenants] prepared namespace ${report.namespace} for tenant ${tenant.id}`);
      } catch (err) {
        log(
          `[tenants] could not prepare the namespace of tenant ${tenant.id} (${(err as Error).message}); npm run prepare-tenant -- --tenant ${tenant.id}`,
        );
      }
    }
  });
}
