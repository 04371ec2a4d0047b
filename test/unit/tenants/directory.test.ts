import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '../../../lib/errors.ts';
import { cachedTenants } from '../../../lib/tenants/directory.ts';
import type { Tenant } from '../../../lib/tenants/tenant.ts';

function countingSource(delayMs = 20) {
  const calls: string[] = [];
  const source = async (id: string): Promise<Tenant> => {
    calls.push(id);
    await sleep(delayMs);
    if (id === 'missing') throw new NotFoundError(`No tenant ${id}.`, { code: 'TENANT_NOT_FOUND' });
    return { id, namespace: id };
  };
  return { calls, source };
}

/** A clock that moves only when the test steps it. */
function steppedClock() {
  let now = 1_000;
  return { now: () => now, step: (ms: number) => void (now += ms) };
}

describe('cachedTenants', () => {
  it('lets 100 concurrent lookups of one tenant share one request', async () => {
    const { calls, source } = countingSource();
    const directory = cachedTenants(source, 30_000);

    const answers = await Promise.all(Array.from({ length: 100 }, () => directory.get('t1')));

    expect(calls).toEqual(['t1']);
    expect(new Set(answers).size).toBe(1);
  });

  it('serves a repeated lookup from memory within the time to live, and asks again after it', async () => {
    const { calls, source } = countingSource(1);
    const clock = steppedClock();
    const directory = cachedTenants(source, 50, { clock });

    await directory.get('t1');
    clock.step(49);
    await directory.get('t1');
    expect(calls).toEqual(['t1']);
    clock.step(2);
    await directory.get('t1');
    expect(calls).toEqual(['t1', 't1']);
  });

  it('does not keep failures', async () => {
    const { calls, source } = countingSource(1);
    const directory = cachedTenants(source, 30_000);

    await expect(directory.get('missing')).rejects.toBeInstanceOf(NotFoundError);
    await expect(directory.get('missing')).rejects.toBeInstanceOf(NotFoundError);
    expect(calls).toEqual(['missing', 'missing']);
  });

  it('with a time to live of 0 asks every time, but still shares concurrent lookups', async () => {
    const { calls, source } = countingSource(10);
    const clock = steppedClock();
    const directory = cachedTenants(source, 0, { clock });

    await Promise.all([directory.get('t1'), directory.get('t1')]);
    clock.step(2); // a time to live of 0 keeps an answer for lru-cache's least, 1 ms
    await directory.get('t1');
    expect(calls).toEqual(['t1', 't1']);
  });
});
