// Outcomes kept under an Idempotency-Key: done once per key, refused for another request, forgotten after a day.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { once, outcomeTtlMs } from '../../../lib/idempotency/outcomes.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const tenant = '5c88a9ec5b6c2e3c4a3b2d1a';
let resources: FakeResources;
let runs: number;
const slot = (key?: string) => ({ resources, namespace: 'tenant-a', tenant, route: 'rosters', key });
const run = async () => ({ run: ++runs });

beforeEach(() => {
  resources = new FakeResources();
  runs = 0;
});

describe('once', () => {
  it('runs every time without a key', async () => {
    expect([await once(slot(), { a: 1 }, run), await once(slot(), { a: 1 }, run)]).toEqual([{ run: 1 }, { run: 2 }]);
  });

  it("answers the same key and request with the first run's outcome", async () => {
    expect([await once(slot('k'), { a: 1 }, run), await once(slot('k'), { a: 1 }, run)]).toEqual([
      { run: 1 },
      { run: 1 },
    ]);
  });

  it('keeps keys apart by route and by tenant', async () => {
    await once(slot('k'), { a: 1 }, run);
    const otherRoute = await once({ ...slot('k'), route: 'removals' }, { a: 1 }, run);
    const otherTenant = await once({ ...slot('k'), tenant: 'b'.repeat(24) }, { a: 1 }, run);
    expect([otherRoute, otherTenant]).toEqual([{ run: 2 }, { run: 3 }]);
  });

  it('refuses the key for a different request, running nothing', async () => {
    await once(slot('k'), { a: 1 }, run);
    await expect(once(slot('k'), { a: 2 }, run)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(runs).toBe(1);
  });

  it('forgets an outcome older than a day: the key starts afresh', async () => {
    await once(slot('k'), { a: 1 }, run);
    const [kept] = [...resources.objects.values()] as V1ConfigMap[];
    kept!.metadata!.creationTimestamp = new Date(Date.now() - outcomeTtlMs - 1000) as unknown as Date;
    expect(await once(slot('k'), { a: 2 }, run)).toEqual({ run: 2 });
    expect(await once(slot('k'), { a: 2 }, run)).toEqual({ run: 2 });
  });

  it('answers the outcome a concurrent request kept first', async () => {
    const slow = once(slot('k'), { a: 1 }, async () => {
      await once(slot('k'), { a: 1 }, run);
      return { run: 99 };
    });
    expect(await slow).toEqual({ run: 1 });
  });
});
