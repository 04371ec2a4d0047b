// The functions' settings, shaped once from the configuration: each domain operation gets its own group by name, and
// no handler reads an environment variable. The groups are defined here, so that configuration is a leaf.
import type { Config } from './config.ts';

/** A value given in the settings, or the Secrets Manager secret that holds it (deployed). */
export type ValueOrSecret = { value: string; secretId?: never } | { secretId: string; value?: never };

/**
 * Where the cluster is reached from: an EKS cluster by name, a kubeconfig (a secret's or a file's), or the pod's
 * account.
 */
export type ClusterSource =
  | { eksCluster: string }
  | { kubeconfigSecret: string }
  | { kubeconfigFile: string }
  | { inCluster: true };

/**
 * Where tenants are looked up: the MOOP tenant service (with the CA of its certificate, if private) or a local file.
 */
export type TenantSource = { url: string; ca?: ValueOrSecret; timeoutMs: number } | { file: string };

/** Where volumes live: the NFS server, the prefix, and whether each tenant is held to its own folder below it. */
export interface NfsSettings {
  server: string;
  prefix: string;
  /** A volume's path must be the tenant's namespace or lie below it (NFS_TENANT_SCOPE). */
  tenantScope: boolean;
}

/** What a claim may ask for. */
export interface ClaimSettings {
  /** Storage classes a claim may name (CLAIM_STORAGE_CLASSES); a claim without one selects its own volume. */
  storageClasses: string[];
}

/** Limits of a copy, from configuration, for what the template leaves out, and what it may ask for at all. */
export interface CopySettings {
  activeDeadlineSeconds: number;
  /** The longest deadline a template may set (JOB_MAX_ACTIVE_DEADLINE_SECONDS). */
  maxActiveDeadlineSeconds: number;
  backoffLimit: number;
  /** A finished Pod or Job is kept at least this long, so that its result can be read. */
  retentionSeconds: number;
  /** Images a copy may run: a prefix ending in "/", or one repository (COPY_IMAGES). */
  images: string[];
  /** Taints a copy may tolerate, as key=value:Effect (COPY_TOLERATIONS). */
  tolerations: string[];
  /** Priority classes a copy may name (COPY_PRIORITY_CLASSES). */
  priorityClasses: string[];
}

/** What cleanup does with what it finds. */
export interface CleanupSettings {
  policy: 'recycle' | 'delete' | 'keep';
  retentionSeconds: number;
  pageSize: number;
  /** Changes made at once within a page. */
  concurrency: number;
  /** What a scheduled run does with objects of tenants the tenant service no longer knows (CLEANUP_ORPHANS). */
  orphans: 'report' | 'delete';
  /** Snapshots older than this are removed, archives and all; 0 or none: kept (SNAPSHOT_RETENTION_DAYS). */
  snapshotRetentionDays?: number;
}

/** Completion notices: where they go, and when a Pending claim is told it is still Pending. */
export interface NoticeSettings {
  bus: string;
  pendingSeconds: number;
  /** Notices claimed and settled at once. */
  concurrency: number;
}

export interface Settings {
  /** The callers' keys (one key, or named keys). */
  keys: ValueOrSecret;
  /** The secret key of escaped names' hashes (NAME_KEY). */
  nameKey: ValueOrSecret;
  cluster: ClusterSource;
  kubeTimeoutMs: number;
  tenants: TenantSource & { cacheTtlMs: number };
  secretsRefreshSeconds: number;
  nfs: NfsSettings;
  claims: ClaimSettings;
  copies: CopySettings;
  cleanup: CleanupSettings;
  notices: NoticeSettings;
  /** Whether the nightly function takes snapshots (SNAPSHOT_NIGHTLY). */
  snapshots: { nightly: boolean };
}

const valueOrSecret = (value: string | undefined, secretId: string | undefined): ValueOrSecret =>
  // The schema refuses a configuration with neither.
  secretId ? { secretId } : { value: value! };

/** Groups the parsed configuration by what uses it. */
export function settingsFrom(c: Config): Settings {
  const ca = c.TENANT_SERVICE_CA_SECRET_ID
    ? { secretId: c.TENANT_SERVICE_CA_SECRET_ID }
    : c.TENANT_SERVICE_CA
      ? { value: c.TENANT_SERVICE_CA }
      : undefined;
  return {
    keys: valueOrSecret(c.MOOPKEY, c.MOOPKEY_SECRET_ID),
    nameKey: valueOrSecret(c.NAME_KEY, c.NAME_KEY_SECRET_ID),
    cluster: c.EKS_CLUSTER_NAME
      ? { eksCluster: c.EKS_CLUSTER_NAME }
      : c.KUBECONFIG_SECRET_ID
        ? { kubeconfigSecret: c.KUBECONFIG_SECRET_ID }
        : c.KUBECONFIG
          ? { kubeconfigFile: c.KUBECONFIG }
          : { inCluster: true },
    kubeTimeoutMs: c.KUBE_TIMEOUT_MS,
    tenants: {
      ...(c.TENANT_SERVICE_URL
        ? { url: c.TENANT_SERVICE_URL, ca, timeoutMs: c.TENANT_TIMEOUT_MS }
        : { file: c.TENANTS_FILE }),
      cacheTtlMs: c.TENANT_CACHE_TTL_MS,
    },
    secretsRefreshSeconds: c.SECRETS_REFRESH_SECONDS,
    nfs: { server: c.NFS_SERVER, prefix: c.NFS_PREFIX, tenantScope: c.NFS_TENANT_SCOPE },
    claims: { storageClasses: c.CLAIM_STORAGE_CLASSES },
    copies: {
      activeDeadlineSeconds: c.JOB_ACTIVE_DEADLINE_SECONDS,
      maxActiveDeadlineSeconds: c.JOB_MAX_ACTIVE_DEADLINE_SECONDS,
      backoffLimit: c.JOB_BACKOFF_LIMIT,
      retentionSeconds: c.JOB_RETENTION_SECONDS,
      images: c.COPY_IMAGES,
      tolerations: c.COPY_TOLERATIONS ?? [],
      priorityClasses: c.COPY_PRIORITY_CLASSES ?? [],
    },
    cleanup: {
      policy: c.CLEANUP_PV_POLICY,
      retentionSeconds: c.JOB_RETENTION_SECONDS,
      pageSize: c.CLEANUP_PAGE_SIZE,
      concurrency: c.CLEANUP_CONCURRENCY,
      orphans: c.CLEANUP_ORPHANS,
      snapshotRetentionDays: c.SNAPSHOT_RETENTION_DAYS,
    },
    notices: { bus: c.NOTICE_BUS, pendingSeconds: c.NOTICE_PENDING_SECONDS, concurrency: c.CLEANUP_CONCURRENCY },
    snapshots: { nightly: c.SNAPSHOT_NIGHTLY },
  };
}
