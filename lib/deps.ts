// Production wiring: what handlers use, built once per container on first use and reused across invocations.
import type { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig, type Config } from './config.ts';
import { KubeClient } from './kube/client.ts';
import { loadKubeConfig } from './kube/kubeconfig.ts';
import { logger } from './log.ts';

/** Everything a handler depends on; tests hand in their own. */
export interface Deps {
  logger: Logger;
  config(): Config;
  kube(): Promise<KubeClient>;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

const config = once(() => loadConfig(process.env));

const kube = once(async () => {
  const c = config();
  const kc = loadKubeConfig(c.KUBECONFIG ? { file: c.KUBECONFIG } : { inCluster: true });
  return KubeClient.fromKubeConfig(kc, { timeoutMs: c.KUBE_TIMEOUT_MS });
});

/** The real dependencies, from the environment. */
export const productionDeps: Deps = { logger, config, kube };
