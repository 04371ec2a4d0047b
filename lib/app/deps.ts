// Production wiring: what handlers use, built once per container on first use and reused across invocations.
// Deployed, the key and the kubeconfig come from Secrets Manager and are re-read every SECRETS_REFRESH_SECONDS.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { eventBridge, type Publisher } from '../aws/events.ts';
import { logger } from '../aws/log.ts';
import { MetricUnit, metrics } from '../aws/metrics.ts';
import { type SecretReader, secretsManager } from '../aws/secrets.ts';
import { type Config, loadConfig } from '../config/config.ts';
import { type Settings, settingsFrom } from '../config/settings.ts';
import { ConfigError } from '../errors.ts';
import { type CallerKey, ownKey, parseKeys } from '../http/keys.ts';
import { KubeClient } from '../kube/client.ts';
import { eksClusterAccess } from '../kube/eks-cluster.ts';
import { loadKubeconfig } from '../kube/kubeconfig.ts';
import { Resources } from '../kube/resources.ts';
import { noticeSource } from '../notices/schemas.ts';
import { cachedTenants, type TenantDirectory } from '../tenants/directory.ts';
import { fileTenantSource } from '../tenants/file-source.ts';
import { httpTenantSource, sendsKeyInClear } from '../tenants/http-source.ts';
import { scopeOf, type TenantScope } from '../tenants/scope.ts';

/** Everything a handler depends on; tests hand in their own. */
export interface Deps {
  logger: Logger;
  config(): Config;
  /** The keys callers may present: the current ones and, during a rotation, the previous ones. */
  callerKeys(): Promise<CallerKey[]>;
  /** The key this service sends itself (tenant lookups through MOOP's gateway). */
  moopkey(): Promise<string>;
  /** The secret key of escaped names' hashes (NAME_KEY, or its secret). */
  nameKey(): Promise<string>;
  kube(): Promise<KubeClient>;
  resources(): Promise<Resources>;
  tenants(): TenantDirectory;
  /** The configuration, grouped by what uses it. */
  settings(): Settings;
  /** The tenant of that id, looked up, with the cluster and the settings: what a route's operation works in. */
  scope(tenantId: string): Promise<TenantScope>;
  /** Where completion notices are published (NOTICE_BUS). */
  publisher(): Publisher;
}

function tryParseKeys(text: string, id: string): CallerKey[] {
  try {
    return parseKeys(text, `Secret ${id} (previous version)`);
  } catch {
    return [];
  }
}

/** TENANT_SERVICE_CA's PEM: the value itself, or the file it names. */
function pemOrFile(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `TENANT_SERVICE_CA is neither a PEM nor a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'}): ${value}`,
    );
  }
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

type SettingsOf = () => Settings;
type Secrets = () => SecretReader;

/**
 * The callers' keys: the setting's one key or named keys, or the secret's current and, during a rotation, previous
 * ones.
 */
function callerKeysFrom(settings: SettingsOf, secrets: Secrets): () => Promise<CallerKey[]> {
  return async () => {
    const keys = settings().keys;
    if (keys.value !== undefined) return parseKeys(keys.value, 'MOOPKEY');
    const id = keys.secretId;
    const [current, previous] = await Promise.all([secrets().get(id), secrets().previous(id)]);
    // A previous version that no longer parses is simply not accepted; the current one decides whether we run.
    const before = previous === undefined ? [] : tryParseKeys(previous, id).map((k) => ({ ...k, previous: true }));
    return [...parseKeys(current, `Secret ${id}`), ...before];
  };
}

interface Connection {
  source: string;
  client: KubeClient;
  resources: Resources;
}

/**
 * The cluster's client: one per kubeconfig text, so that a rotated kubeconfig secret gives a new one, an unchanged one
 * the same.
 */
function connectionFrom(settings: SettingsOf, secrets: Secrets): () => Promise<Connection> {
  let current: Connection | undefined;
  return async () => {
    const { cluster, kubeTimeoutMs } = settings();
    const source =
      'eksCluster' in cluster
        ? `eks:${cluster.eksCluster}`
        : 'kubeconfigSecret' in cluster
          ? await secrets().get(cluster.kubeconfigSecret)
          : 'kubeconfigFile' in cluster
            ? cluster.kubeconfigFile
            : '';
    if (current?.source === source) return current;
    const access =
      'eksCluster' in cluster
        ? await eksClusterAccess(cluster.eksCluster)
        : loadKubeconfig(
            'kubeconfigSecret' in cluster
              ? { yaml: source }
              : 'kubeconfigFile' in cluster
                ? { file: cluster.kubeconfigFile }
                : { inCluster: true },
          );
    const client = new KubeClient(access, {
      timeoutMs: kubeTimeoutMs,
      observe: (ms) => metrics.addMetric('KubernetesApiLatency', MetricUnit.Milliseconds, ms),
    });
    void current?.client.close();
    current = { source, client, resources: new Resources(client) };
    return current;
  };
}

/**
 * The tenant directory: the MOOP tenant service (warned about when it would see the key in clear), or the local file.
 */
function tenantsFrom(settings: SettingsOf, secrets: Secrets, moopkey: () => Promise<string>): TenantDirectory {
  const from = settings().tenants;
  if (!('url' in from)) return cachedTenants(fileTenantSource(resolve(from.file)), from.cacheTtlMs);
  if (sendsKeyInClear(from.url)) {
    logger.warn(
      'TENANT_SERVICE_URL is plain http to a host outside a private network: the moopkey travels with each lookup in clear; use https, or reach it inside the VPC',
      { host: new URL(from.url).host },
    );
  }
  const ca = from.ca;
  const source = httpTenantSource({
    url: from.url,
    moopkey,
    timeoutMs: from.timeoutMs,
    observe: (ms) => metrics.addMetric('TenantServiceLatency', MetricUnit.Milliseconds, ms),
    ca: async () =>
      ca === undefined ? undefined : ca.secretId !== undefined ? secrets().get(ca.secretId) : pemOrFile(ca.value),
  });
  return cachedTenants(source, from.cacheTtlMs);
}

/** Dependencies built from a configuration source, each once; secrets from `secrets` (Secrets Manager by default). */
export function depsFrom(config: () => Config, secretReader?: () => SecretReader): Deps {
  const settings = once(() => settingsFrom(config()));
  const secrets = once(() => secretReader?.() ?? secretsManager(settings().secretsRefreshSeconds));
  const callerKeys = callerKeysFrom(settings, secrets);
  const moopkey = async (): Promise<string> => ownKey(await callerKeys());
  const nameKey = async (): Promise<string> => {
    const key = settings().nameKey;
    return key.value ?? (await secrets().get(key.secretId)).trim();
  };
  const connection = connectionFrom(settings, secrets);
  const tenants = once(() => tenantsFrom(settings, secrets, moopkey));
  const publisher = once(() => eventBridge(settings().notices.bus, noticeSource));
  return {
    publisher,
    logger,
    config,
    callerKeys,
    moopkey,
    nameKey,
    kube: async () => (await connection()).client,
    resources: async () => (await connection()).resources,
    tenants,
    settings,
    scope: async (tenantId) => {
      // The tenant first: an unknown tenant is a 404 whatever the state of the cluster.
      const tenant = await tenants().get(tenantId);
      const [{ resources }, key] = await Promise.all([connection(), nameKey()]);
      return scopeOf(tenant, resources, settings(), key);
    },
  };
}

/** The real dependencies, from the environment. */
export const productionDeps: Deps = depsFrom(once(() => loadConfig(process.env)));
