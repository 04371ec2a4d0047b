// Cold starts: the time from spawning a fresh Node process to the first answered invocation of each bundle, printed
// with each bundle's size beside the last run's (last-cold-*.json beside the bundles' folder: .local/bench/ for
// `npm run bench`).
import { dirname, join } from 'node:path';
import { KubeClient } from '../lib/kube/client.ts';
import { loadKubeconfig } from '../lib/kube/kubeconfig.ts';
import { httpEvent } from '../tools/lambda.ts';
import { type Bundle, beside, keepRun, lastRun, table } from './bundles.ts';
import { lastLine, runNode, time } from './stats.ts';

export interface ColdStart {
  name: string;
  bundleKiB: number;
  firstAnswerMs: number;
  status: number | string;
}

export interface ColdStartResult {
  nodeStartupMs: number;
  apiFirstCallMs: number;
  functions: ColdStart[];
}

const spawnTimed = async (args: string[], env: NodeJS.ProcessEnv): Promise<[number, string]> => {
  const { wallMs, out } = await runNode(args, env, 'the process');
  return [wallMs, out];
};

/** Invokes each bundle once in its own fresh process, in an order where creates come before reads and deletes. */
export async function coldStarts(
  bundles: Bundle[],
  env: Record<string, string>,
  moopkey: string,
  tenant: string,
  namespace: string,
  kubeconfig: string,
): Promise<ColdStartResult> {
  const childEnv = { ...env, PATH: process.env.PATH, POWERTOOLS_LOG_LEVEL: 'SILENT' };
  const [nodeStartupMs] = await spawnTimed(['-e', '0'], childEnv);
  const fresh = new KubeClient(loadKubeconfig({ file: kubeconfig }), { timeoutMs: 5000 });
  const [apiFirstCallMs] = await time(() => fresh.request({ method: 'GET', path: '/readyz', answer: 'text' }));
  await fresh.close();

  let job = '';
  const events = invocations(moopkey, tenant, namespace, () => job);
  const functions: ColdStart[] = [];
  for (const name of Object.keys(events)) {
    const bundle = bundles.find((b) => b.name === name);
    if (!bundle) throw new Error(`no bundle for ${name}`);
    const [ms, out] = await spawnTimed(
      [join(import.meta.dirname, 'cold-child.ts'), bundle.file, JSON.stringify(events[name]!())],
      childEnv,
    );
    const result = lastLine(out) as { statusCode?: number; body?: string };
    if (name === 'copyCreate') job = (JSON.parse(result.body!) as { metadata: { name: string } }).metadata.name;
    functions.push({
      name,
      bundleKiB: Math.round(bundle.bytes / 1024),
      firstAnswerMs: Math.round(ms),
      status: result.statusCode ?? 'ok',
    });
  }
  printBesideLastRun(dirname(dirname(bundles[0]!.file)), functions);
  return { nodeStartupMs: Math.round(nodeStartupMs), apiFirstCallMs: Math.round(apiFirstCallMs), functions };
}

/** Each function's bundle size and first answer beside the last run's (now / last run / change), then keeps them. */
function printBesideLastRun(dir: string, functions: ColdStart[]): void {
  const [kib, ms] = [lastRun(dir, 'cold-bundle-kib'), lastRun(dir, 'cold-first-answer-ms')];
  const rows = functions.map((f) => [
    f.name,
    ...beside(f.bundleKiB, kib[f.name]),
    ...beside(f.firstAnswerMs, ms[f.name]),
  ]);
  const head = ['function', 'KiB now', 'last run', 'change', 'first answer ms now', 'last run', 'change'];
  process.stdout.write(`\nBundles and cold starts, beside the last run's\n${table([head, ...rows]).join('\n')}\n`);
  keepRun(dir, 'cold-bundle-kib', Object.fromEntries(functions.map((f) => [f.name, f.bundleKiB])));
  keepRun(dir, 'cold-first-answer-ms', Object.fromEntries(functions.map((f) => [f.name, f.firstAnswerMs])));
}

/** Each function's invocation, by its name in serverless.yml; the copy's reads and delete name the copy made before. */
function invocations(
  moopkey: string,
  tenant: string,
  namespace: string,
  job: () => string,
): Record<string, () => unknown> {
  const user = { tenant, username: `cold-${Date.now()}` };
  return {
    health: () => httpEvent('GET', '/service/v1/health', moopkey),
    openapi: () => httpEvent('GET', '/service/v1/openapi.json', moopkey),
    volumePvCreate: () =>
      httpEvent('POST', '/service/v1/volumes/pvs', moopkey, { body: { ...user, path: `${namespace}/cold` } }),
    volumePvGet: () => httpEvent('GET', '/service/v1/volumes/pvs', moopkey, { query: user }),
    volumePvDelete: () => httpEvent('DELETE', '/service/v1/volumes/pvs', moopkey, { query: user }),
    volumePvcCreate: () => httpEvent('POST', '/service/v1/volumes/pvcs', moopkey, { body: user }),
    volumePvcGet: () => httpEvent('GET', '/service/v1/volumes/pvcs', moopkey, { query: user }),
    volumePvcDelete: () => httpEvent('DELETE', '/service/v1/volumes/pvcs', moopkey, { query: user }),
    copyCreate: () => httpEvent('POST', '/service/v1/pods', moopkey, { body: { tenant, cmd: 'true' } }),
    copyGet: () => httpEvent('GET', '/service/v1/pods', moopkey, { query: { tenant, name: job() } }),
    copyDelete: () => httpEvent('DELETE', '/service/v1/pods', moopkey, { query: { tenant, name: job() } }),
    volumeInventory: () => httpEvent('GET', '/service/v1/inventory/volumes', moopkey, { query: { tenant } }),
    copyInventory: () => httpEvent('GET', '/service/v1/inventory/pods', moopkey, { query: { tenant } }),
    cleanup: () => ({ action: 'scheduled', dryRun: true }),
  };
}
