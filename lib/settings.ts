// The functions' settings, shaped once from the configuration: each domain operation gets its own group by name, and
// no handler reads an environment variable.
import type { CleanupSettings } from './cleanup/run.ts';
import type { Config } from './config.ts';
import type { PodSettings } from './render/pod.ts';
import type { NfsSettings } from './render/volumes.ts';

export interface Settings {
  nfs: NfsSettings;
  copies: PodSettings;
  cleanup: CleanupSettings;
}

/** Groups the parsed configuration by what uses it. */
export function settingsFrom(c: Config): Settings {
  return {
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
