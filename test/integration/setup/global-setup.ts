// Starts, once for the whole integration suite: the local cluster, the API through serverless-offline with the
// least-privilege kubeconfig, and the control endpoint. Test files read where they are from MOOP_TEST_* variables.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../lib/config/config.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { type LocalCluster, startCluster } from '../../../tools/cluster/cluster.ts';
import { freePort } from '../../../tools/cluster/processes.ts';
import { startControlServer } from '../../../tools/control-server.ts';
import { projectRoot, startOffline } from '../../../tools/offline.ts';
import { startFakeTenantService } from '../../../tools/tenant-service.ts';
import { applyPolicyParams, prepareTenants } from '../../../tools/tenants.ts';
import { eksAccessEntries, eksClusterId } from '../../fixtures/eks.ts';
import { hostile, preparedTenants, tenants } from '../../fixtures/tenants.ts';
import { startEksAuthenticator } from '../../support/eks-authenticator.ts';
import { fakeAws, startMoto, stopMoto } from '../../support/notices.ts';
import { startStsStandIn } from '../../support/sts.ts';
import { setRunning } from './running.ts';

export default async function globalSetup(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log('');
  // EKS's side, for the EKS-token tests: STS (moto, with AWS's signature check) and EKS's token authenticator, which
  // the API server asks about tokens it does not know.
  const sts = await startStsStandIn();
  // EventBridge (and the SQS queues its rules deliver to), for completion notices: moto, every service in one server.
  const moto = await startMoto().catch((err: unknown) => {
    sts.stop();
    throw err;
  });
  const authenticator = await startEksAuthenticator({
    port: (await freePort())!,
    clusterId: eksClusterId,
    sts,
    accessEntries: eksAccessEntries,
  });
  let cluster: LocalCluster;
  try {
    cluster = await startCluster({ log, tokenWebhookUrl: authenticator.url });
  } catch (err) {
    sts.stop();
    stopMoto();
    await authenticator.close();
    throw err;
  }
  cluster.adopt({ group: sts.pid });
  cluster.adopt({ group: moto.pid });
  try {
    const moopkey = randomBytes(18).toString('base64url');
    // The tenant service as the real one answers, reached directly (its NodePort), as MOOP's services reach it.
    const tenantService = await startFakeTenantService(
      [...Object.values(tenants), ...Object.values(hostile)],
      { mode: 'direct' },
      5000,
    );
    const env = {
      MOOPKEY: moopkey,
      NAME_KEY: randomBytes(18).toString('base64url'),
      KUBECONFIG: cluster.serviceKubeconfig,
      NFS_SERVER: '10.0.0.2',
      NFS_PREFIX: '/exports/moop/',
      // The real node's taint, for the real-node tenants' copies.
      COPY_TOLERATIONS: 'moop.io/real-node=true:NoSchedule',
      TENANT_SERVICE_URL: tenantService.url,
      TENANT_TIMEOUT_MS: '2500',
      KUBE_TIMEOUT_MS: '4000',
      TENANTS_FILE: '',
      LOG_LEVEL: 'DEBUG',
      // Completion notices go to moto's EventBridge, signed with fake keys: the suite never reaches AWS.
      AWS_ENDPOINT_URL_EVENTBRIDGE: moto.url,
      ...fakeAws,
    };
    await applyPolicyParams(cluster.adminKubeconfig, loadConfig(env));
    await prepareTenants(
      cluster.adminKubeconfig,
      preparedTenants.map((t) => TenantSchema.parse(t)),
      log,
    );
    const offlineLog = join(cluster.dir, 'logs', 'offline.log');
    const offlineOut = createWriteStream(offlineLog);
    const [port, lambdaPort] = [await freePort(), await freePort()];
    const started = Date.now();
    const offline = await startOffline({
      port,
      lambdaPort,
      workFolder: `.esbuild-test-${process.pid}`,
      onLine: (line) => offlineOut.write(`${line}\n`),
      env,
    });
    cluster.adopt({ group: offline.pid, folder: join(projectRoot, offline.workFolder) });
    log(`[offline] serving at ${offline.url} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    const control = await startControlServer(cluster);
    setRunning({ cluster, offline, control: control.server, offlineOut, tenantService, sts, authenticator });
    Object.assign(process.env, {
      MOOP_TEST_API_URL: offline.url,
      MOOP_TEST_LAMBDA_URL: offline.lambdaUrl,
      MOOP_TEST_MOOPKEY: moopkey,
      MOOP_TEST_NAME_KEY: env.NAME_KEY,
      MOOP_TEST_ADMIN_KUBECONFIG: cluster.adminKubeconfig,
      MOOP_TEST_SERVICE_KUBECONFIG: cluster.serviceKubeconfig,
      MOOP_TEST_CONTROL_URL: control.url,
      MOOP_TEST_OFFLINE_LOG: offlineLog,
      MOOP_TEST_TENANT_SERVICE_URL: tenantService.url,
      MOOP_TEST_STS_URL: sts.url,
      MOOP_TEST_AWS_URL: moto.url,
    });
  } catch (err) {
    sts.stop();
    stopMoto();
    await authenticator.close();
    await cluster.stop();
    throw err;
  }
}
