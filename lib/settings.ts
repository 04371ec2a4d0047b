// The functions' settings, shaped once from the configuration: each domain operation gets its own group by name, and
// no handler reads an environment variable.
import type { CleanupSettings } from './cleanup/run.ts';
import type { Config } from './config.ts';
import type { PodSettings } from './render/pod.ts';
import type { NfsSettings } from './render/volumes.ts';

/** A value given in the settings, or the Secrets Manager secret that holds it (deployed). */
export type ValueOrSecret = { value: string; secretId?: never } | { secretId: string; value?: never };

/** Where the cluster is reached from: an EKS cluster by name, a kubeconfig (a secret's or a file's), or the pod's account. */
export type ClusterSource = { eksCluster: string } | { kubeconfigSecret: string } | { kubeconfigFile: string } | { inCluster: true };

/** Where tenants are looked up: the MOOP tenant service (with the CA of its certificate, if private) or a local file. */
export type TenantSource = { url: string; ca?: ValueOrSecret; timeoutMs: number } | { file: string };

export interface Settings {
  /** The callers' keys (one key, or named keys). */
  keys: ValueOrSecret;
  cluster: ClusterSource;
  kubeTimeoutMs: number;
  tenants: TenantSource & { cacheTtlMs: number };
  secretsRefreshSeconds: number;
  nfs: NfsSettings;
  copies: PodSettings;
  cleanup: CleanupSettings;
}

/** Groups the parsed configuration by what uses it. */
export function settingsFrom(c: Config): Settings {
  const ca = c.TENANT_SERVICE_CA_SECRET_ID ? { secretId: c.TENANT_SERVICE_CA_SECRET_ID } : c.TENANT_SERVICE_CA ? { value: c.TENANT_SERVICE_CA } : undefined;
  return {
    // The schema refuses a configuration with neither MOOPKEY nor MOOPKEY_SECRET_ID.
    keys: c.MOOPKEY_SECRET_ID ? { secretId: c.MOOPKEY_SECRET_ID } : { value: c.MOOPKEY! },
    cluster: c.EKS_CLUSTER_NAME
      ? { eksCluster: c.EKS_CLUSTER_NAME }
      : c.KUBECONFIG_SECRET_ID
        ? { kubeconfigSecret: c.KUBECONFIG_SECRET_ID }
        : c.KUBECONFIG
          ? { kubeconfigFile: c.KUBECONFIG }
          : { inCluster: true },
    kubeTimeoutMs: c.KUBE_TIMEOUT_MS,
    tenants: {
      ...(c.TENANT_SERVICE_URL ? { url: c.TENANT_SERVICE_URL, ca, timeoutMs: c.TENANT_TIMEOUT_MS } : { file: c.TENANTS_FILE }),
      cacheTtlMs: c.TENANT_CACHE_TTL_MS,
    },
    secretsRefreshSeconds: c.SECRETS_REFRESH_SECONDS,
    nfs: { server: c.NFS_SERVER, prefix: c.NFS_PREFIX, tenantScope: c.NFS_TENANT_SCOPE },
    copies: { activeDeadlineSeconds: c.JOB_ACTIVE_DEADLINE_SECONDS, backoffLimit: c.JOB_BACKOFF_LIMIT, retentionSeconds: c.JOB_RETENTION_SECONDS },
    cleanup: {
      policy: c.CLEANUP_PV_POLICY,
      retentionSeconds: c.JOB_RETENTION_SECONDS,
      pageSize: c.CLEANUP_PAGE_SIZE,
      concurrency: c.CLEANUP_CONCURRENCY,
      orphans: c.CLEANUP_ORPHANS,
    },
  };
}
