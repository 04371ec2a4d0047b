// `npm run adopt -- --tenant <id> [--dry-run]`: marks what the old Python services made for a tenant as this service's,
// with the operator's kubeconfig (KUBECONFIG, or the local cluster's .local/kubeconfig), and prints a JSON report.
// Tenants are looked up as the service looks them up: TENANT_SERVICE_URL (with MOOPKEY for a gateway), else
// TENANTS_FILE.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adoptTenant } from '../lib/adoption/adoption.ts';
import { TenantId } from '../lib/contract/fields.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { Resources } from '../lib/kube/resources.ts';
import { fileTenantSource } from '../lib/tenants/file-source.ts';
import { httpTenantSource } from '../lib/tenants/http-source.ts';
import { projectRoot } from '../tools/offline.ts';

const usage = 'usage: npm run adopt -- --tenant <24-hex tenant id> [--dry-run]';
const fail = (message: string, code = 2): never => {
  process.stderr.write(`[adopt] ${message}\n`);
  process.exit(code);
};

const { values } = parseArgs({
  options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  strict: true,
});
const id = TenantId.safeParse(values.tenant);
if (!id.success) fail(`--tenant ${id.error.issues[0]!.message}\n${usage}`);

const envFile = join(projectRoot, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);
const env = (name: string): string | undefined => process.env[name] || undefined;

// Only volumes on the service's NFS server, in the tenant's folder, are adopted: the service would make no other.
const [server, prefix] = [env('NFS_SERVER'), env('NFS_PREFIX')];
if (!server || !prefix)
  fail('NFS_SERVER and NFS_PREFIX must be set (as the service has them): only volumes there are adopted');
const nfs = { server: server!, prefix: prefix!, tenantScope: env('NFS_TENANT_SCOPE') !== 'false' };

const kubeconfig = env('KUBECONFIG') ?? join(projectRoot, '.local/kubeconfig');
if (!existsSync(kubeconfig))
  fail(`no kubeconfig at ${kubeconfig}: set KUBECONFIG to the operator's kubeconfig (or start the local cluster)`);
const resources = new Resources(new KubeClient(loadKubeconfig({ file: kubeconfig }), { timeoutMs: 30_000 }));
const tenantServiceUrl = env('TENANT_SERVICE_URL');
const source = tenantServiceUrl
  ? httpTenantSource({ url: tenantServiceUrl, moopkey: async () => env('MOOPKEY') ?? '', timeoutMs: 10_000 })
  : fileTenantSource(resolve(projectRoot, env('TENANTS_FILE') ?? 'tenants.local.json'));

try {
  const tenant = await source(id.data!);
  const report = await adoptTenant(resources, tenant, { dryRun: values['dry-run'], nfs });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    `[adopt] ${report.dryRun ? 'would adopt' : 'adopted'} ${report.adopted.length}, already managed ${report.alreadyManaged.length}, ` +
      `left alone ${report.leftAlone.length}, failed ${report.failures.length}\n`,
  );
  process.exit(report.failures.length > 0 ? 1 : 0);
} catch (err) {
  fail((err as Error).message);
}
