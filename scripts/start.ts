// `npm start`: the service on localhost against a real local cluster (or KUBECONFIG's), until Ctrl-C.
import { copyFileSync, existsSync, watch } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadToolSettings } from '../lib/config/config.ts';
import { type LocalCluster, startCluster } from '../tools/cluster/cluster.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';
import { type Offline, projectRoot, startOffline } from '../tools/offline.ts';
import { applyPolicyParams, prepareTenants, tenantsOfFile } from '../tools/tenants.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const envFile = join(projectRoot, '.env');
if (!existsSync(envFile)) {
  copyFileSync(join(projectRoot, '.env.example'), envFile);
  log('[start] created .env from .env.example; edit it to change settings');
}
process.loadEnvFile(envFile);

let cluster: LocalCluster | undefined;
let offline: Offline | undefined;
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('\n[start] stopping...');
    await offline?.stop();
    await cluster?.stop();
    log('[start] stopped');
  }
  process.exit(code);
}
stopOnSignals(async () => {
  await offline?.stop();
  await cluster?.stop();
});

/**
 * Calls restart once the sources of the handlers settle after a change: handlers run in serverless-offline's own
 * process, which does not reload a rebuilt module. Restarts run one after another; failures are told, not fatal.
 */
function restartOnChange(restart: (file: string) => Promise<void>): void {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const onChange = (dir: string) => (_event: string, file: string | null) => {
    if (!file?.endsWith('.ts') || stopping) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running
        .then(() => restart(join(dir, file)))
        .catch((err: unknown) => log(`[start] restart failed: ${err}`));
    }, 300);
  };
  for (const dir of ['functions', 'lib']) watch(join(projectRoot, dir), { recursive: true }, onChange(dir)).unref();
}

try {
  // Fail before starting anything if the settings are wrong; KUBECONFIG is filled in below when the cluster is ours.
  const config = loadConfig(process.env);
  const settings = loadToolSettings(process.env);
  const port = settings.PORT;
  const lambdaPort = settings.LAMBDA_PORT ?? port + 2;
  let kubeconfig = config.KUBECONFIG;
  let adminKubeconfig = config.KUBECONFIG;
  if (!kubeconfig) {
    cluster = await startCluster({ kubeconfigDir: join(projectRoot, '.local'), log });
    kubeconfig = cluster.serviceKubeconfig;
    adminKubeconfig = cluster.adminKubeconfig;
    // The cluster holds the service to the same values as its settings (.env), as an operator's would.
    await applyPolicyParams(adminKubeconfig, config);
  } else {
    log(`[start] using the cluster of KUBECONFIG=${kubeconfig}`);
  }
  if (!config.TENANT_SERVICE_URL)
    await prepareTenants(adminKubeconfig!, tenantsOfFile(join(projectRoot, config.TENANTS_FILE)), log);

  const serve = async (): Promise<Offline> => {
    const started = await startOffline({
      port,
      lambdaPort,
      env: { KUBECONFIG: kubeconfig! },
      schedule: settings.CLEANUP_SCHEDULE_ENABLED === 'true',
      onLine: (line) => log(line),
    });
    // Its build folder (.esbuild) is the project's build cache, kept between runs: only the process group is adopted.
    cluster?.adopt({ group: started.pid });
    return started;
  };
  offline = await serve();
  restartOnChange(async (file) => {
    log(`[start] ${file} changed: rebuilding and restarting the API...`);
    await offline?.stop();
    offline = await serve();
    log(`[start] the API serves the change at http://localhost:${port}`);
  });
  log('');
  log(`[start] MOOP resource service is ready at http://localhost:${port}`);
  log(`[start]   try: curl -H "moopkey: $MOOPKEY" http://localhost:${port}/service/v1/health`);
  if (cluster) log(`[start]   cluster: kubectl --kubeconfig .local/kubeconfig get pv,pvc,jobs -A`);
  log('[start] press Ctrl-C to stop');
} catch (err) {
  log(`[start] ${err instanceof Error ? err.message : String(err)}`);
  await stop(1);
}
