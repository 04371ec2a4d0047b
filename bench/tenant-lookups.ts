// Tenant lookups: 100 concurrent requests for one tenant, in one container, cause one call to the tenant service.
import { createHandler as getClaim } from '../functions/volumes/pvcs/get.ts';
import { depsFrom } from '../lib/app/deps.ts';
import { loadConfig } from '../lib/config/config.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';
import { httpEvent, invokeHttp } from '../tools/lambda.ts';
import { startFakeTenantService } from '../tools/tenant-service.ts';
import { time } from './stats.ts';

export interface TenantLookupResult {
  requests: number;
  tenantServiceCalls: number;
  statuses: Record<number, number>;
  wallMs: number;
}

export async function tenantLookups(
  tenant: Tenant,
  env: Record<string, string>,
  moopkey: string,
  requests = 100,
): Promise<TenantLookupResult> {
  // The gateway's mode: the key travels with every lookup, as it does deployed.
  const service = await startFakeTenantService([tenant], { mode: 'gateway', moopkey });
  try {
    const deps = depsFrom(() => loadConfig({ ...env, TENANT_SERVICE_URL: service.url }));
    const handler = getClaim(deps);
    const event = httpEvent('GET', '/service/v1/volumes/pvcs', moopkey, {
      query: { tenant: tenant.id, username: 'nobody-here' },
    });
    const [wallMs, answers] = await time(() =>
      Promise.all(Array.from({ length: requests }, () => invokeHttp(handler, event))),
    );
    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    return { requests, tenantServiceCalls: service.requests(tenant.id), statuses, wallMs: Math.round(wallMs) };
  } finally {
    await service.close();
  }
}
