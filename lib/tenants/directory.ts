// Tenant lookups served from memory for a short time, with concurrent lookups of one tenant sharing one request.
import { LRUCache } from 'lru-cache';
import type { TenantSource } from './http-source.ts';
import type { Tenant } from './tenant.ts';

export interface TenantDirectory {
  /** The tenant; with fresh, asked of the source even if cached. */
  get(id: string, options?: { fresh?: boolean }): Promise<Tenant>;
}

/** What tells the cache the time, in milliseconds; tests pass their own to step time instead of waiting it out. */
export interface Clock {
  now(): number;
}

/**
 * Wraps source in a cache of up to `max` tenants for ttlMs each (0: every lookup asks, concurrent ones still share).
 */
export function cachedTenants(
  source: TenantSource,
  ttlMs: number,
  options: { max?: number; clock?: Clock } = {},
): TenantDirectory {
  // lru-cache's fetch() shares in-flight requests per key and does not keep rejections.
  const cache = new LRUCache<string, Tenant>({
    max: options.max ?? 1000,
    ttl: Math.max(ttlMs, 1),
    fetchMethod: (id) => source(id),
    // A given clock is read at every lookup: lru-cache otherwise keeps a read for ttlResolution (1 ms) by a timer.
    ...(options.clock ? { perf: options.clock, ttlResolution: 0 } : {}),
  });
  return {
    get: async (id, options) => (await cache.fetch(id, { forceRefresh: options?.fresh ?? false }))!,
  };
}
