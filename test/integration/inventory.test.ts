// /service/v1/inventory/volumes and /service/v1/inventory/pods through serverless-offline against the local cluster: a
// tenant's volumes, claims and copies as the routes made them, an adopted pair, and what must never be listed (another
// school's objects, unmarked ones, one whose marks disagree).
import type { KubernetesObject } from '@kubernetes/client-node';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer, CopyAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, until } from '../support/cluster.ts';
import { byUserPrefix, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';

const prefix = userPrefix('inventory');
// Its copies are never scheduled: they stay running (Pending) and keep mounting their claims.
const tenant = tenants.neverScheduled.id;
const namespace = 'tenant-unscheduled';
const { core } = admin();
const made = new Set<string>();
const user = (name: string) => `${prefix}${name}`;
const pv = (name: string, tag = 'default') => `pv-${tenant}-${user(name)}-${tag}`;
const pvc = (name: string, tag = 'default') => `pvc-${tenant}-${user(name)}-${tag}`;
const nfs = (folder: string) => ({ server: '10.0.0.2', path: `/exports/moop/${namespace}/${folder}` });
const unmarked = { claim: user('hub-db-dir'), pod: user('notebook') };

afterAll(async () => {
  await core.deleteNamespacedPod({ name: unmarked.pod, namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespacedPersistentVolumeClaim({ name: unmarked.claim, namespace }).catch(() => undefined);
  const name = (o: KubernetesObject) => o.metadata?.name ?? '';
  await sweep((o) => byUserPrefix(prefix)(o) || name(o).includes(prefix) || made.has(name(o)));
});

/** A user's volume at their folder, and, with claim, their match claim (Bound before it returns). */
async function volume(t: { id: string; namespace: string | null }, username: string, tag: string, claim: boolean) {
  await call('POST', '/service/v1/volumes/pvs', {
    body: { tenant: t.id, username, tag, path: tenantFolder(t.id, username.slice(prefix.length)) },
  });
  if (!claim) return;
  const created = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
    body: { tenant: t.id, username, tag, match: true },
  });
  const name = created.body.metadata.name;
  await until(`claim ${name} to bind`, async () => {
    const read = await core.readNamespacedPersistentVolumeClaim({ name, namespace: t.namespace ?? t.id });
    return read.status?.phase === 'Bound';
  });
}

/** The marks npm run adopt gives the old services' objects. */
const adoptedMarks = {
  labels: { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant },
  annotations: { 'moop.io/tenant': tenant, 'moop.io/adopted': '2026-11-22T10:00:00.000Z' },
};

/** A volume and claim of the old services, adopted, bound to each other. */
async function adoptedPair(name: string): Promise<void> {
  const spec = { accessModes: ['ReadWriteMany'], storageClassName: '' };
  await core.createPersistentVolume({
    body: {
      metadata: { ...adoptedMarks, name: pv(name) },
      spec: { ...spec, capacity: { storage: '1Mi' }, nfs: nfs(name), claimRef: { namespace, name: pvc(name) } },
    },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { ...adoptedMarks, name: pvc(name) },
      spec: { ...spec, volumeName: pv(name), resources: { requests: { storage: '1Mi' } } },
    },
  });
  await until('the adopted claim to bind', async () => {
    const read = await core.readNamespacedPersistentVolumeClaim({ name: pvc(name), namespace });
    return read.status?.phase === 'Bound';
  });
}

/** An adopted match claim whose volume is gone: Pending, once the volume controller has said why. */
async function adoptedClaimAlone(name: string): Promise<void> {
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: {
      metadata: { ...adoptedMarks, name: pvc(name) },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: '',
        selector: { matchLabels: { pv: pv(name) } },
        resources: { requests: { storage: '1Mi' } },
      },
    },
  });
  await until('the volume controller to report on the adopted claim', async () => {
    const fieldSelector = `involvedObject.name=${pvc(name)}`;
    return (await core.listNamespacedEvent({ namespace, fieldSelector })).items.length > 0;
  });
}

/** Never the tenant's: a claim labelled for it but marked for another school, an unmarked claim and pod. */
async function strangers(): Promise<void> {
  const claimSpec = {
    accessModes: ['ReadWriteOnce'],
    storageClassName: 'none',
    resources: { requests: { storage: '1Mi' } },
  };
  const labels = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant };
  const annotations = { 'moop.io/tenant': tenants.b.id, 'moop.io/user': user('mallory'), 'moop.io/tag': 'default' };
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: { metadata: { name: pvc('mallory'), labels, annotations }, spec: claimSpec },
  });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: { metadata: { name: unmarked.claim }, spec: claimSpec },
  });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: unmarked.pod },
      spec: {
        containers: [{ name: 'notebook', image: 'jupyter/base-notebook' }],
        volumes: [{ name: 'home', persistentVolumeClaim: { claimName: pvc('alice') } }],
      },
    },
  });
}

let copy: CopyAnswer;

beforeAll(async () => {
  await volume(tenants.neverScheduled, user('alice'), 'default', true);
  await volume(tenants.neverScheduled, user('alice'), 'extra', false);
  await call('POST', '/service/v1/volumes/pvcs', { body: { tenant, username: user('bob') } });
  await volume(tenants.b, user('alice'), 'default', true);
  await adoptedPair('old');
  await adoptedClaimAlone('lone');
  await strangers();
  const created = await call<CopyAnswer>('POST', '/service/v1/pods', {
    body: { tenant, cmd: 'ls /data', vols: [{ pvc: pvc('alice'), mount: '/data' }] },
  });
  copy = created.body;
  made.add(copy.metadata.name);
}, 120_000);

const alice = () => [
  {
    username: user('alice'),
    tag: 'default',
    adopted: false,
    volume: { name: pv('alice'), phase: 'Bound', ...nfs('alice') },
    claim: { name: pvc('alice'), phase: 'Bound' },
    copies: [copy.metadata.name],
  },
  {
    username: user('alice'),
    tag: 'extra',
    adopted: false,
    volume: { name: pv('alice', 'extra'), phase: 'Available', ...nfs('alice') },
    claim: null,
    copies: [],
  },
];

const everything = () => [
  ...alice(),
  {
    username: user('bob'),
    tag: 'default',
    adopted: false,
    volume: null,
    claim: {
      name: pvc('bob'),
      phase: 'Pending',
      pendingReason: {
        phase: 'Pending',
        reason: 'StorageClassNotFound',
        message:
          'The claim asks for storage class "standard", which does not exist in the cluster: no volume can be provisioned for it.',
      },
    },
    copies: [],
  },
  {
    username: null,
    tag: null,
    adopted: true,
    volume: { name: pv('old'), phase: 'Bound', ...nfs('old') },
    claim: { name: pvc('old'), phase: 'Bound' },
    copies: [],
  },
  {
    username: null,
    tag: null,
    adopted: true,
    volume: null,
    claim: {
      name: pvc('lone'),
      phase: 'Pending',
      // Its user and tag are unknown, so not the volume it selects: the volume controller's words instead.
      pendingReason: {
        phase: 'Pending',
        reason: 'FailedBinding',
        message: 'no persistent volumes available for this claim and no storage class is set',
        lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    },
    copies: [],
  },
];

describe('GET /service/v1/inventory/volumes', () => {
  const path = '/service/v1/inventory/volumes';

  it("lists the tenant's volumes and claims by user and tag, with the copies that mount them, adopted ones after", async () => {
    expect(await call('GET', path, { query: { tenant } })).toEqual({
      status: 200,
      body: { items: everything() },
    });
  });

  it("lists only one user's with username, and never another school's of the same name", async () => {
    expect(await call('GET', path, { query: { tenant, username: user('alice') } })).toEqual({
      status: 200,
      body: { items: alice() },
    });
    expect(await call('GET', path, { query: { tenant: tenants.b.id, username: user('alice') } })).toEqual({
      status: 200,
      body: {
        items: [
          {
            username: user('alice'),
            tag: 'default',
            adopted: false,
            volume: {
              name: `pv-${tenants.b.id}-${user('alice')}-default`,
              phase: 'Bound',
              server: '10.0.0.2',
              path: '/exports/moop/tenant-b/alice',
            },
            claim: { name: `pvc-${tenants.b.id}-${user('alice')}-default`, phase: 'Bound' },
            copies: [],
          },
        ],
      },
    });
  });

  it('pages one item at a time, each page after the last, covering the whole once', async () => {
    const pages: unknown[] = [];
    let token: string | undefined;
    do {
      const answer = await call<{ items: unknown[]; continue?: string }>('GET', path, {
        query: { tenant, limit: '1', continue: token },
      });
      pages.push(answer.body.items);
      token = answer.body.continue;
    } while (token && pages.length < 10);

    expect(pages).toEqual(everything().map((item) => [item]));
  });

  it('refuses a continue that is not of a previous page with a 400', async () => {
    expect(await call('GET', path, { query: { tenant, continue: 'bm90LWEtY3Vyc29y' } })).toEqual({
      status: 400,
      body: {
        error: 'Invalid request query: continue: must be the "continue" of a previous page of this route.',
        code: 'INVALID_REQUEST',
        details: [{ field: 'continue', message: 'must be the "continue" of a previous page of this route' }],
      },
    });
  });
});

describe('GET /service/v1/inventory/pods', () => {
  const path = '/service/v1/inventory/pods';
  const item = () => ({
    name: copy.metadata.name,
    kind: 'Pod',
    state: 'running',
    stuck: false,
    createdAt: copy.metadata.creationTimestamp,
    claims: [pvc('alice')],
  });

  it("lists the tenant's copies, a running one that waits on the scheduler among them, and no one else's pod", async () => {
    expect(await call('GET', path, { query: { tenant } })).toEqual({ status: 200, body: { items: [item()] } });
    expect(await call('GET', path, { query: { tenant, state: 'running' } })).toEqual({
      status: 200,
      body: { items: [item()] },
    });
    expect(await call('GET', path, { query: { tenant, state: 'failed' } })).toEqual({
      status: 200,
      body: { items: [] },
    });
  });

  it('says why a failed copy failed, and lists it among the failed ones only', async () => {
    const failing = tenants.failExit.id;
    const created = await call<CopyAnswer>('POST', '/service/v1/pods', {
      body: { tenant: failing, cmd: 'false', wait: 20 },
    });
    made.add(created.body.metadata.name);
    const finished = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);

    expect(await call('GET', path, { query: { tenant: failing, state: 'failed' } })).toEqual({
      status: 200,
      body: {
        items: [
          {
            name: created.body.metadata.name,
            kind: 'Pod',
            state: 'failed',
            stuck: false,
            createdAt: created.body.metadata.creationTimestamp,
            finishedAt: finished,
            claims: [],
            statusReason: {
              phase: 'Failed',
              reason: 'Error',
              message: 'container copy exited with code 3',
              lastSeen: finished,
            },
          },
        ],
      },
    });
    expect(await call('GET', path, { query: { tenant: failing, state: 'succeeded' } })).toEqual({
      status: 200,
      body: { items: [] },
    });
  });
  it('says why a stuck copy is stuck (a mount that fails, from the warning events) and lists it as running', async () => {
    const stuck = tenants.failMount.id;
    const created = await call<CopyAnswer>('POST', '/service/v1/pods', {
      body: { tenant: stuck, cmd: 'true', wait: 20 },
    });
    made.add(created.body.metadata.name);

    expect(await call('GET', path, { query: { tenant: stuck, state: 'running' } })).toEqual({
      status: 200,
      body: {
        items: [
          {
            name: created.body.metadata.name,
            kind: 'Pod',
            state: 'running',
            stuck: true,
            createdAt: created.body.metadata.creationTimestamp,
            claims: [],
            statusReason: {
              phase: 'Pending',
              reason: 'FailedMount',
              message: 'MountVolume.SetUp failed for volume "moop-vol-0" : mount failed: exit status 32',
              lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
            },
          },
        ],
      },
    });
  });
});
