// What the benchmark's sections run against: a cluster and a serverless-offline already up.
import type { Tenant } from '../lib/tenants/tenant.ts';

/** What the sections run against. */
export interface BenchContext {
  adminKubeconfig: string;
  serviceKubeconfig: string;
  /** The API server's process, whose CPU time is read from /proc. */
  apiServerPid: number;
  /** serverless-offline, as `npm start` runs it: its URL and process (the leader of its process group). */
  offline: { url: string; pid: number };
  /** The demo tenant (tenants.local.json), prepared in the cluster. */
  tenant: Tenant;
  /** The service's settings, as serverless-offline has them (MOOPKEY, NAME_KEY, KUBECONFIG, NFS_*, tenants). */
  env: Record<string, string>;
  /** A tenant service that knows the tenant (the original asks one per request); absent: a stand-in is started. */
  tenantServiceUrl?: string;
}
