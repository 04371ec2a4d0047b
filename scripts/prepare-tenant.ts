// `npm run prepare-tenant -- --tenant <id>`: makes (or labels) a tenant's namespace and grants the service its verbs
// there for this tenant only, with the operator's kubeconfig (KUBECONFIG, or the local cluster's .local/kubeconfig);
// prints a JSON report. Idempotent. Tenants are looked up as the service looks them up: TENANT_SERVICE_URL (with
// MOOPKEY for a gateway), else TENANTS_FILE.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TenantId } from '../lib/contract/fields.ts';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { Resources } from '../lib/kube/resources.ts';
import { fileTenantSource } from '../lib/tenants/file-source.ts';
import { httpTenantSource } from '../lib/tenants/http-source.ts';
import { prepareTenant } from '../lib/tenants/preparation.ts';
import { projectRoot } from '../tools/offline.ts';
import { serviceSubjects } from '../tools/tenants.ts';

const usage = 'usage: npm run prepare-tenant -- --tenant <24-hex tenant id>';
const fail = (message: string, code = 2): never => {
  process.stderr.write(`[prepare-tenant] ${message}\n`);
  process.exit(code);
};

const { values } = parseArgs({ options: { tenant: { type: 'string' } }, strict: true });
const id = TenantId.safeParse(values.tenant);
if (!id.success) fail(`--tenant ${id.error.issues[0]!.message}\n${usage}`);

const envFile = join(projectRoot, '.env');
if (existsSync(envFile)) process.loadEnvFile(envFile);
const env = (name: string): string | undefined => process.env[name] || undefined;

const kubeconfig = env('KUBECONFIG') ?? join(projectRoot, '.local/kubeconfig');
if (!existsSync(kubeconfig))
  fail(`no kubeconfig at ${kubeconfig}: set KUBECONFIG to the operator's kubeconfig (or start the local cluster)`);
const client = new KubeClient(loadKubeconfig({ file: kubeconfig }), { timeoutMs: 30_000 });
const tenantServiceUrl = env('TENANT_SERVICE_URL');
const source = tenantServiceUrl
  ? httpTenantSource({ url: tenantServiceUrl, moopkey: async () => env('MOOPKEY') ?? '', timeoutMs: 10_000 })
  : fileTenantSource(resolve(projectRoot, env('TENANTS_FILE') ?? 'tenants.local.json'));

try {
  const report = await prepareTenant(new Resources(client), await source(id.data!), serviceSubjects());
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    `[prepare-tenant] namespace ${report.namespace} is tenant ${report.tenant}'s${report.namespaceCreated ? ' (made now)' : ''}\n`,
  );
  await client.close();
} catch (err) {
  fail((err as Error).message, 1);
}
