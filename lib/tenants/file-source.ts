// Tenant lookup from a local JSON file (`{"tenants": [...]}`), so that a fresh clone runs with no tenant service.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, NotFoundError } from '../errors.ts';
import type { TenantSource } from './http-source.ts';
import { type Tenant, TenantSchema } from './tenant.ts';

const TenantsFileSchema = z.object({ tenants: z.array(TenantSchema) });

/** A TenantSource over the tenants file at path, read once on first use. */
export function fileTenantSource(path: string): TenantSource {
  let tenants: Promise<Map<string, Tenant>> | undefined;
  const load = async (): Promise<Map<string, Tenant>> => {
    let parsed: z.infer<typeof TenantsFileSchema>;
    try {
      parsed = TenantsFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
    } catch (err) {
      throw new ConfigError(`TENANTS_FILE ${path} cannot be used: ${(err as Error).message}`, { cause: err });
    }
    return new Map(parsed.tenants.map((t) => [t.id, t]));
  };
  return async (id) => {
    tenants ??= load();
    const tenant = (
      await tenants.catch((err: unknown) => {
        tenants = undefined;
        throw err;
      })
    ).get(id);
    if (!tenant) throw new NotFoundError(`No tenant ${id}.`, { code: 'TENANT_NOT_FOUND' });
    return tenant;
  };
}
