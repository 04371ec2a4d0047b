// A notice kept as a ConfigMap of the service's records namespace (never beside its target, in the tenant's namespace):
// made marked for the tenant and naming the namespace it is about, read back from a list, claimed by one run only,
// settled once told; a ConfigMap that is not a well-formed notice is passed by.
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  claimNotice,
  type NoticeRequest,
  noticeLabel,
  noticeOf,
  recordNotice,
  settleNotice,
} from '../../../lib/notices/record.ts';
import { recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const id = tenants.a.id;
const requestedAt = new Date('2026-03-01T10:00:00.000Z');
const copyRequest: NoticeRequest = {
  tenant: id,
  namespace: 'tenant-a',
  target: { kind: 'Pod', name: `copy-${id}-abc`, uid: 'pod-uid' },
  correlationId: 'order-17',
};
const claimRequest: NoticeRequest = {
  tenant: id,
  namespace: 'tenant-a',
  target: { kind: 'PersistentVolumeClaim', name: `pvc-${id}-alice-default`, uid: 'claim-uid' },
  correlationId: 'order-18',
  username: 'alice',
};

let resources: FakeResources;
/** The records namespace's ConfigMaps as the notifier lists them (without kind or apiVersion, as the API server lists). */
const listed = async (): Promise<V1ConfigMap[]> =>
  (await resources.list<V1ConfigMap>('v1', 'ConfigMap', { namespace: recordsNamespace })).items;

beforeEach(() => {
  resources = new FakeResources();
});

describe('recordNotice', () => {
  it("makes a ConfigMap of the records namespace marked for the tenant, labelled with the target's kind, naming the target's namespace", async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const [kept] = [...resources.objects.values()];
    expect(resources.objects.size).toBe(1);
    expect(kept).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: expect.stringMatching(new RegExp(`^notice-${id}-[a-z2-7]{26}$`)),
        namespace: 'moop-records',
        labels: { [noticeLabel]: 'Pod', 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': id },
        annotations: { 'moop.io/tenant': id },
        uid: expect.any(String),
        resourceVersion: expect.any(String),
        creationTimestamp: expect.any(String),
      },
      data: {
        namespace: 'tenant-a',
        target: JSON.stringify(copyRequest.target),
        correlationId: 'order-17',
        requestedAt: '2026-03-01T10:00:00.000Z',
        told: '[]',
      },
    });
  });

  it('names the notice by its target: the same target twice is refused as existing, another target is another', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    await expect(recordNotice(resources, { ...copyRequest, correlationId: 'again' })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await recordNotice(resources, { ...copyRequest, target: { ...copyRequest.target, uid: 'a-new-pod-uid' } });
    expect(resources.objects.size).toBe(2);
  });

  it('names the notice by its namespace too: the same target in another namespace of the tenant is another notice', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    await recordNotice(resources, { ...copyRequest, namespace: 'tenant-a-2' }, requestedAt);
    const kept = await listed();
    expect(kept.map((m) => m.data?.namespace).sort()).toEqual(['tenant-a', 'tenant-a-2']);
    expect(new Set(kept.map((m) => m.metadata?.name)).size).toBe(2);
  });
});

describe('noticeOf', () => {
  it('reads a listed notice back as it was asked, with the kind a patch or delete names', async () => {
    await recordNotice(resources, claimRequest, requestedAt);
    const [configMap] = await listed();
    expect(noticeOf(configMap!, id)).toEqual({
      configMap: { ...configMap, apiVersion: 'v1', kind: 'ConfigMap' },
      tenant: id,
      namespace: 'tenant-a',
      target: claimRequest.target,
      correlationId: 'order-18',
      username: 'alice',
      requestedAt: '2026-03-01T10:00:00.000Z',
      told: [],
    });
  });

  it('reads what was told and a publication under way', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const [configMap] = await listed();
    const data = { ...configMap!.data, told: '["CopyStuck"]', publishing: 'CopyFailed', since: '2026-03-01T10:05:00Z' };
    expect(noticeOf({ ...configMap!, data }, id)).toMatchObject({
      told: ['CopyStuck'],
      publishing: { type: 'CopyFailed', since: '2026-03-01T10:05:00Z' },
    });
  });

  const target = JSON.stringify(copyRequest.target);
  const namespace = 'tenant-a';
  it.each([
    ['no data at all', undefined],
    ['no namespace it is about', { target, correlationId: 'c', told: '[]' }],
    ['an empty namespace', { namespace: '', target, correlationId: 'c', told: '[]' }],
    ['a target that is not JSON', { namespace, target: '{kind', correlationId: 'c', told: '[]' }],
    ['a list of told that is not JSON', { namespace, target, correlationId: 'c', told: 'CopyStuck' }],
    ['a target that is no object', { namespace, target: 'null', correlationId: 'c', told: '[]' }],
    ['a target without a uid', { namespace, target: '{"kind":"Pod","name":"p"}', correlationId: 'c', told: '[]' }],
    [
      'a target of a kind never told',
      { namespace, target: '{"kind":"Secret","name":"s","uid":"u"}', correlationId: 'c' },
    ],
    ['a list of told that is no list', { namespace, target, correlationId: 'c', told: '{}' }],
    ['no correlation id', { namespace, target, told: '[]' }],
  ])('passes by a ConfigMap with %s', (_, data) => {
    const configMap: V1ConfigMap = { metadata: { name: `notice-${id}-x`, namespace: recordsNamespace }, data };
    expect(noticeOf(configMap, id)).toBeUndefined();
  });

  it('takes a well-formed one: each case above is passed by for its own flaw', () => {
    const data = { namespace, target, correlationId: 'c', told: '[]' };
    const configMap: V1ConfigMap = { metadata: { name: `notice-${id}-x`, namespace: recordsNamespace }, data };
    expect(noticeOf(configMap, id)).toMatchObject({ namespace: 'tenant-a', target: copyRequest.target });
  });
});

describe('claimNotice and settleNotice', () => {
  const now = new Date('2026-03-01T10:10:00.000Z');
  const notice = async () => noticeOf((await listed())[0]!, id)!;

  it('claims a notice unchanged since it was listed, recording what is being published and since when', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const claimed = await claimNotice(resources, await notice(), 'CopySucceeded', now);
    expect(claimed?.publishing).toEqual({ type: 'CopySucceeded', since: '2026-03-01T10:10:00.000Z' });
    expect(noticeOf((await listed())[0]!, id)?.publishing).toEqual(claimed?.publishing);
  });

  it('passes by a notice changed or deleted since it was listed: another run has it', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const [first, second] = [await notice(), await notice()];
    expect(await claimNotice(resources, first, 'CopySucceeded', now)).toBeDefined();
    expect(await claimNotice(resources, second, 'CopySucceeded', now)).toBeUndefined();
    await resources.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: recordsNamespace,
      name: first.configMap.metadata!.name!,
    });
    expect(await claimNotice(resources, first, 'CopySucceeded', now)).toBeUndefined();
  });

  it('deletes a notice told its final outcome', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const claimed = (await claimNotice(resources, await notice(), 'CopySucceeded', now))!;
    await settleNotice(resources, claimed, 'CopySucceeded', true);
    expect(await listed()).toEqual([]);
  });

  it('records a non-final outcome as told and ends the claim, keeping the notice', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const claimed = (await claimNotice(resources, await notice(), 'CopyStuck', now))!;
    await settleNotice(resources, claimed, 'CopyStuck', false);
    const { configMap: _, ...settled } = await notice();
    expect(settled).toEqual({
      tenant: id,
      namespace: 'tenant-a',
      target: copyRequest.target,
      correlationId: 'order-17',
      requestedAt: '2026-03-01T10:00:00.000Z',
      told: ['CopyStuck'],
    });
  });

  it('settles nothing changed since the claim (it is no longer this run’s)', async () => {
    await recordNotice(resources, copyRequest, requestedAt);
    const claimed = (await claimNotice(resources, await notice(), 'CopySucceeded', now))!;
    await claimNotice(resources, await notice(), 'CopySucceeded', new Date(now.getTime() + 200_000));
    await expect(settleNotice(resources, claimed, 'CopySucceeded', true)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await listed()).toHaveLength(1);
  });
});
