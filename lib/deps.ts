// Production wiring: what handlers use, built once per container on first use and reused across invocations.
import type { Logger } from '@aws-lambda-powertools/logger';
import { resolve } from 'node:path';
import { loadConfig, type Config } from './config.ts';
import { KubeClient } from './kube/client.ts';
import { loadKubeconfig } from './kube/kubeconfig.ts';
import { Resources } from './kube/resources.ts';
import { logger } from './log.ts';
import { cachedTenants, type TenantDirectory } from './tenants/directory.ts';
import { fileTenantSource } from './tenants/file-source.ts';
import { httpTenantSource } from './tenants/http-source.ts';

/** Everything a handler depends on; tests hand in their own. */
export interface Deps {
  logger: Logger;
  config(): Config;
  kube(): Promise<KubeClient>;
  resources(): Promise<Resources>;
  tenants(): TenantDirectory;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** Dependencies built from a configuration source, each once. */
export function depsFrom(config: () => Config): Deps {
  const kube = once(async () => {
    const c = config();
    return new KubeClient(loadKubeconfig(c.KUBECONFIG ? { file: c.KUBECONFIG } : { inCluster: true }), { timeoutMs: c.KUBE_TIMEOUT_MS });
  });
  const resources = once(async () => new Resources(await kube()));
  const tenants = once(() => {
    const c = config();
    const source = c.TENANT_SERVICE_URL
      ? httpTenantSource({ url: c.TENANT_SERVICE_URL, moopkey: c.MOOPKEY, timeoutMs: c.TENANT_TIMEOUT_MS })
      : fileTenantSource(resolve(c.TENANTS_FILE));
    return cachedTenants(source, c.TENANT_CACHE_TTL_MS);
  });
  return { logger, config, kube, resources, tenants };
}

/** The real dependencies, from the environment. */
export const productionDeps: Deps = depsFrom(once(() => loadConfig(process.env)));
