// /service/v1/snapshots (taken, listed, deleted) and /service/v1/snapshots/restores through serverless-offline against
// the local cluster: students made with /service/v1/volumes/students, Bound by the real PV controller. The copies run
// on kwok, which ends their containers (Completed, exit code 0) without the archive script's report: a snapshot is
// never indexed there, and is listed Failed with the kubelet's own words, so the service is seen to report from the
// copy and never to guess success. A Succeeded snapshot is what the index holds: the test writes entries with the
// service's own keep() (as a copy's report would have them written) to list, restore and delete them. What the copies,
// the store and the index hold is read with the admin's eyes.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject, V1ConfigMap, V1Container, V1Pod } from '@kubernetes/client-node';
import { KubeClient } from '../../lib/kube/client.ts';
import { loadKubeconfig } from '../../lib/kube/kubeconfig.ts';
import { labelValue, shortHash } from '../../lib/kube/names.ts';
import { Resources } from '../../lib/kube/resources.ts';
import { recordsNamespace } from '../../lib/ownership/ownership.ts';
import { type Kept, keep } from '../../lib/snapshots/index.ts';
import { archiveScript, removeScript, restoreScript } from '../../lib/snapshots/scripts.ts';
import { storeKey, studentFolder } from '../../lib/snapshots/store.ts';
import { reservationRefs, volumeRefs } from '../../lib/volumes/key.ts';
import { tenantFolder, tenants } from '../fixtures/tenants.ts';
import type { ClaimAnswer } from '../support/answers.ts';
import { call } from '../support/api.ts';
import { admin, statusOfCall, until } from '../support/cluster.ts';
import { managedNames, sweep } from '../support/managed.ts';
import { userPrefix } from '../support/names.ts';
import { noticeMaps } from '../support/notices.ts';
import { renderScope } from '../support/scope.ts';

const prefix = userPrefix('snapshots');
const a = { tenant: tenants.a.id, namespace: tenants.a.namespace! };
const b = { tenant: tenants.b.id, namespace: tenants.b.namespace! };
const neighbour = tenants.neighbour.id;
const { core } = admin();
const timestamp = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const snapshotId = expect.stringMatching(/^snap-[0-9a-z]{20}$/);
const image = 'registry.mooplab.com:8443/gitbox/alpine-git:lastest';
const path = '/service/v1/snapshots';
const restores = '/service/v1/snapshots/restores';
const person = 'must start with a letter or digit and hold only letters, digits, spaces and . _ @ + -';

/** This file's users: three students with a claim in tenant a, and one without a claim anywhere. */
const user = (name: string) => `${prefix}${name}`;
const ana = user('ana');
const ben = user('ben');
const cy = user('cy');
const ghost = user('ghost');
/** A name with an accent and a space: its labels are escaped, its annotations and answers keep it as it is. */
const elodie = user('Élodie M.');
/** Claim names by username (tenant a), as the students route answered them. */
const claims = new Map<string, string>();

interface Snapshot {
  id: string;
  username: string;
  tag: string;
  note?: string;
  state: string;
  requestedAt: string;
  takenAt?: string;
  bytes?: number;
  files?: number;
  copy?: string;
  reason?: { code: string; message: string };
}
interface Page {
  items: Snapshot[];
  continue?: string;
}
interface Restore {
  snapshot: string;
  mode: string;
  folder?: string;
  copy: { name: string; kind: string };
}

let kube: KubeClient;
/** The admin's ResourceClient: index entries written as the service writes them. */
let resources: Resources;

/** The store's names for tenant (its volume, its match claim) and the label its claim selects the volume by. */
function storeNames(record: (typeof tenants)['a']) {
  const scope = renderScope(record, { nameKey: process.env.MOOP_TEST_NAME_KEY! });
  const values = [record.id, storeKey.username, storeKey.tag];
  return {
    volume: volumeRefs(scope, storeKey)[0]!.name,
    claim: reservationRefs(scope, storeKey)[0]!.name,
    label: labelValue(`pv-${values.join('-')}`, values),
  };
}
const storeA = storeNames(tenants.a);

/** A student's volume and match claim, made and Bound through the route; the claim's name kept. */
async function student(username: string, folder = username): Promise<void> {
  const answer = await call<{ bound: boolean; claim: ClaimAnswer }>('POST', '/service/v1/volumes/students', {
    body: { tenant: a.tenant, username, path: tenantFolder(a.tenant, folder), wait: 20 },
  });
  expect([username, answer.status, answer.body.bound]).toEqual([username, 201, true]);
  claims.set(username, answer.body.claim.metadata.name);
}

beforeAll(async () => {
  kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_ADMIN_KUBECONFIG! }), { timeoutMs: 5000 });
  resources = new Resources(kube);
  await Promise.all([...[ana, ben, cy].map((u) => student(u)), student(elodie, user('elodie'))]);
}, 120_000);

afterAll(async () => {
  // The students' volumes and claims, the copies (labelled and annotated with the student), the store of each tenant
  // asked (its owner's username is the store's key), and in moop-records the index entries, Idempotency-Key outcomes
  // and notices of tenants a and b.
  const tenantsAsked = new Set([a.tenant, b.tenant, neighbour]);
  const records = [a.tenant, b.tenant].flatMap((t) => ['snapshot', 'outcome', 'notice'].map((k) => `${k}-${t}-`));
  await sweep(
    (o: KubernetesObject) =>
      JSON.stringify(o).includes(prefix) ||
      (o.metadata?.annotations?.['moop.io/user'] === storeKey.username &&
        tenantsAsked.has(o.metadata?.annotations?.['moop.io/tenant'] ?? '')) ||
      (o.kind === 'ConfigMap' &&
        o.metadata?.namespace === recordsNamespace &&
        records.some((r) => (o.metadata?.name ?? '').startsWith(r))),
  );
  await kube.close();
});

const take = (body: object, headers?: Record<string, string>) =>
  call<Snapshot>('POST', path, { body, ...(headers ? { headers } : {}) });
const list = (tenant: string, username: string, extra: Record<string, string> = {}) =>
  call<Page>('GET', path, { query: { tenant, username, ...extra } });

/** The student's snapshots once none is Running (GET, polled). */
async function settled(tenant: string, username: string): Promise<Page> {
  let page: Page | undefined;
  await until(
    `the snapshots of ${username} to end`,
    async () => {
      const answer = await list(tenant, username);
      expect(answer.status).toBe(200);
      page = answer.body;
      return page.items.every((s) => s.state !== 'Running');
    },
    60_000,
  );
  return page!;
}

/** What a snapshot's copy ended as on kwok: the container stopped, Completed, and never reported an archive. */
const kwokEnded = { state: 'Failed', reason: { code: 'Completed', message: 'the archive ended with exit code 0' } };

/** The name of the copy that archives snapshot id: the tenant's template's, its random part derived from the id. */
const archiveCopy = (tenant: string, id: string) => `job-${tenant}-${shortHash([id, 'archive'], 8)}`;

/** The service's marks on a student's copy of tenant a. */
const copyLabels = (username: string, operation: unknown) => ({
  'app.kubernetes.io/managed-by': 'moop-resource-service',
  'moop.io/tenant': a.tenant,
  'moop.io/user': username,
  'moop.io/tag': 'default',
  'moop.io/operation': operation,
});

/** A copy's one container as the API server holds it, tenant a's template running script with env and mounts. */
const container = (
  name: string,
  script: string,
  env: [string, string][],
  volumeMounts: V1Container['volumeMounts'],
): V1Container => ({
  name,
  image,
  imagePullPolicy: 'IfNotPresent',
  args: ['/bin/sh', '-c', script],
  env: env.map(([n, value]) => ({ name: n, value })),
  volumeMounts,
  resources: {},
  securityContext: { capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] } },
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
});
const claimVolume = (i: number, claimName: string, readOnly = false) => ({
  name: `moop-vol-${i}`,
  persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly: true } : {}) },
});
const pod = (name: string) => core.readNamespacedPod({ name, namespace: a.namespace });
/** The parts of a copy the service decides, as the admin reads them. */
const shapeOf = (p: V1Pod) => ({
  labels: p.metadata?.labels,
  annotations: p.metadata?.annotations,
  volumes: p.spec?.volumes,
  containers: p.spec?.containers,
  restartPolicy: p.spec?.restartPolicy,
  automountServiceAccountToken: p.spec?.automountServiceAccountToken,
});
/** The copies of tenant a made for username with the container named name. */
const copiesOf = async (username: string, name: string): Promise<V1Pod[]> =>
  (await core.listNamespacedPod({ namespace: a.namespace, labelSelector: `moop.io/user=${username}` })).items.filter(
    (p) => p.spec?.containers[0]?.name === name,
  );

/** The 404 of a snapshot the student (of the tenant asked) does not have. */
const noSnapshot = (id: string, username: string) => ({
  status: 404,
  body: { error: `No snapshot ${id} of ${username} (tag default).`, code: 'SNAPSHOT_NOT_FOUND' },
});
const noClaim = (username: string, namespace: string) => ({
  status: 404,
  body: {
    error: `${username} has no claim (tag default) in namespace ${namespace}.`,
    code: 'CLAIM_NOT_FOUND',
    details: { username, tag: 'default' },
  },
});

/** The name of snapshot id's index entry in moop-records. */
const entryName = (tenant: string, id: string) => `snapshot-${tenant}-${id.slice('snap-'.length)}`;
const newId = () => `snap-${randomBytes(10).toString('hex')}`;

/** Snapshots POSTed for ana, in order. */
let first: Snapshot;
let second: Snapshot;

describe('POST /service/v1/snapshots', () => {
  it('answers 202 at once with the snapshot Running and the copy that makes it', async () => {
    const answer = await take({ tenant: a.tenant, username: ana, note: 'before the final' });
    first = answer.body;

    expect(answer).toEqual({
      status: 202,
      body: {
        id: snapshotId,
        username: ana,
        tag: 'default',
        note: 'before the final',
        state: 'Running',
        requestedAt: timestamp,
        copy: archiveCopy(a.tenant, answer.body.id),
      },
    });
  });

  it("makes the tenant's store the first time: a volume at <namespace>/.moop-snapshots and its match claim, owned by the store's key", async () => {
    const owner = { 'moop.io/tenant': a.tenant, 'moop.io/user': 'moop:snapshots', 'moop.io/tag': 'store' };
    const labels = {
      'app.kubernetes.io/managed-by': 'moop-resource-service',
      'moop.io/tenant': a.tenant,
      'moop.io/user': labelValue('moop:snapshots'),
      'moop.io/tag': 'store',
    };
    await until(
      'the store claim to bind',
      async () =>
        (await core.readNamespacedPersistentVolumeClaim({ name: storeA.claim, namespace: a.namespace })).status
          ?.phase === 'Bound',
    );
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: storeA.claim, namespace: a.namespace });
    const volume = await core.readPersistentVolume({ name: storeA.volume });

    expect([volume.metadata?.labels, volume.metadata?.annotations, volume.spec, volume.status?.phase]).toEqual([
      { pv: storeA.label, ...labels },
      owner,
      {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '100Mi' },
        nfs: { server: '10.0.0.2', path: `/exports/moop/${a.namespace}/.moop-snapshots` },
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: a.namespace,
          name: storeA.claim,
          uid: claim.metadata?.uid,
          resourceVersion: expect.any(String),
        },
        persistentVolumeReclaimPolicy: 'Retain',
        volumeMode: 'Filesystem',
      },
      'Bound',
    ]);
    expect([claim.metadata?.labels, claim.metadata?.annotations, claim.spec, claim.status?.phase]).toEqual([
      labels,
      { ...owner, 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' },
      {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: '100Mi' } },
        selector: {
          matchLabels: {
            pv: storeA.label,
            'app.kubernetes.io/managed-by': 'moop-resource-service',
            'moop.io/tenant': a.tenant,
          },
        },
        storageClassName: '',
        volumeMode: 'Filesystem',
        volumeName: storeA.volume,
      },
      'Bound',
    ]);
  });

  it("makes one copy: the constant archive script, paths only as MOOP_* data, the student's claim read-only, the store by the student's folder", async () => {
    const folder = studentFolder({ username: ana, tag: 'default' });
    const copy = await pod(first.copy!);

    expect(shapeOf(copy)).toEqual({
      labels: copyLabels(ana, first.id),
      annotations: {
        'moop.io/tenant': a.tenant,
        'moop.io/snapshot': JSON.stringify({
          id: first.id,
          username: ana,
          tag: 'default',
          note: 'before the final',
          requestedAt: first.requestedAt,
        }),
      },
      volumes: [claimVolume(0, claims.get(ana)!, true), claimVolume(1, storeA.claim)],
      containers: [
        container(
          'archive',
          archiveScript,
          [
            ['MOOP_FROM', '/moop/student'],
            ['MOOP_ARCHIVE', `/moop/store/${first.id}.tar.gz`],
            ['MOOP_RESULT', '/dev/termination-log'],
          ],
          [
            { name: 'moop-vol-0', mountPath: '/moop/student', readOnly: true },
            { name: 'moop-vol-1', mountPath: '/moop/store', subPath: folder },
          ],
        ),
      ],
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
    });
    // The folder is a hash: nothing the caller chose becomes a path.
    expect(folder).toMatch(/^[a-z2-7]{20}$/);
    expect(JSON.stringify(copy.spec?.containers.map((c) => [c.command, c.args]))).not.toContain(ana);
    const { items } = await core.listNamespacedPod({
      namespace: a.namespace,
      labelSelector: `moop.io/operation=${first.id}`,
    });
    expect(items.map((p) => p.metadata?.name)).toEqual([first.copy]);
  });

  it('answers a student without a claim 404 CLAIM_NOT_FOUND, and makes nothing once the store exists', async () => {
    const before = await managedNames();

    expect(await take({ tenant: a.tenant, username: ghost })).toEqual(noClaim(ghost, a.namespace));

    expect(await managedNames()).toEqual(before);
  });

  it('answers a student without a claim 404 in a tenant without a store, and makes nothing, not even the store', async () => {
    // The student's claim is looked for before the store (it was looked for beside it: the store was made on a 404).
    const before = await managedNames();

    expect(await take({ tenant: b.tenant, username: ghost })).toEqual(noClaim(ghost, b.namespace));

    await sleep(2000);
    expect(await managedNames()).toEqual(before);
  });

  it("answers a school sharing tenant a's namespace, asking for a's student, 404 CLAIM_NOT_FOUND, making nothing", async () => {
    const before = await managedNames();

    expect(await take({ tenant: neighbour, username: ana })).toEqual(noClaim(ana, a.namespace));

    // Its store would be a's folder in a's namespace: the cluster lets the service make nothing for it there.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await managedNames()).toEqual(before);
  });
});

describe('bad input', () => {
  const someId = 'snap-aaaaaaaaaaaaaaaaaaaa';
  const snapshot = (extra: object = {}) => ({ body: { tenant: a.tenant, username: ana, ...extra } });
  const restore = (extra: object = {}) => ({ body: { tenant: a.tenant, username: ana, id: someId, ...extra } });
  const query = (extra: Record<string, string> = {}) => ({ query: { tenant: a.tenant, username: ana, ...extra } });
  const idMessage = 'must be a snapshot id as the service answered it (snap-<20 characters>)';
  const cases: [
    what: string,
    method: string,
    route: string,
    request: { body?: object; query?: Record<string, string>; headers?: Record<string, string> },
    source: 'body' | 'query' | 'headers',
    field: string,
    message: string,
  ][] = [
    ['an unknown field', 'POST', path, snapshot({ path: '/' }), 'body', 'body', 'Unrecognized key: "path"'],
    ["a username with '/'", 'POST', path, snapshot({ username: 'x/y' }), 'body', 'username', person],
    [
      'a note with a control character',
      'POST',
      path,
      snapshot({ note: 'before\u0007the final' }),
      'body',
      'note',
      'must not contain control characters',
    ],
    [
      'a note with a right-to-left override',
      'POST',
      path,
      snapshot({ note: 'final\u202etxt.exe' }),
      'body',
      'note',
      'must not contain control characters',
    ],
    [
      'a note of 501 characters',
      'POST',
      path,
      snapshot({ note: 'x'.repeat(501) }),
      'body',
      'note',
      'must be at most 500 characters',
    ],
    [
      'an Idempotency-Key with a space',
      'POST',
      path,
      { ...snapshot(), headers: { 'idempotency-key': 'a b' } },
      'headers',
      'idempotency-key',
      'must be printable ASCII without spaces',
    ],
    ['an unknown query field', 'GET', path, query({ path: '/' }), 'query', 'query', 'Unrecognized key: "path"'],
    ['limit 0', 'GET', path, query({ limit: '0' }), 'query', 'limit', 'Too small: expected number to be >=1'],
    ['limit 501', 'GET', path, query({ limit: '501' }), 'query', 'limit', 'must be at most 500'],
    [
      'a continue of other characters',
      'GET',
      path,
      query({ continue: 'page 2' }),
      'query',
      'continue',
      'must be the "continue" of a previous page',
    ],
    [
      'a continue that is no page of this route',
      'GET',
      path,
      query({ continue: 'bm90LWEtY3Vyc29y' }),
      'query',
      'continue',
      'must be the "continue" of a previous page of this route',
    ],
    ['a short id to DELETE', 'DELETE', path, query({ id: 'snap-123' }), 'query', 'id', idMessage],
    ['a path as id to DELETE', 'DELETE', path, query({ id: '../snapshot-x' }), 'query', 'id', idMessage],
    ['no id to DELETE', 'DELETE', path, query(), 'query', 'id', 'Invalid input: expected string, received undefined'],
    ['an upper-case id to restore', 'POST', restores, restore({ id: someId.toUpperCase() }), 'body', 'id', idMessage],
    [
      'an operation id to restore',
      'POST',
      restores,
      restore({ id: 'op-aaaaaaaaaaaaaaaaaaaa' }),
      'body',
      'id',
      idMessage,
    ],
    [
      'a mode other than beside or replace',
      'POST',
      restores,
      restore({ mode: 'merge' }),
      'body',
      'mode',
      'Invalid option: expected one of "beside"|"replace"',
    ],
    [
      'an unknown field to restore',
      'POST',
      restores,
      restore({ folder: '/etc' }),
      'body',
      'body',
      'Unrecognized key: "folder"',
    ],
  ];

  it.each(cases)(
    'refuses %s (400 INVALID_REQUEST naming the field), making nothing',
    async (_what, method, route, request, source, field, message) => {
      const before = await managedNames();

      expect(await call(method, route, request)).toEqual({
        status: 400,
        body: {
          error: `Invalid request ${source}: ${field}: ${message}.`,
          code: 'INVALID_REQUEST',
          details: [{ field, message }],
        },
      });
      expect(await managedNames()).toEqual(before);
    },
  );
});

describe("the store's key as a username", () => {
  const asked = { tenant: a.tenant, username: storeKey.username, tag: storeKey.tag };
  const someId = 'snap-aaaaaaaaaaaaaaaaaaaa';
  it.each([
    ['POST', path, { body: asked }, 'body'],
    ['GET', path, { query: asked }, 'query'],
    ['DELETE', path, { query: { ...asked, id: someId } }, 'query'],
    ['POST', restores, { body: { ...asked, id: someId } }, 'body'],
    ['POST', '/service/v1/volumes/pvcs', { body: { ...asked, match: true } }, 'body'],
  ] as const)(
    '%s %s cannot ask for moop:snapshots: 400 on the username, nothing made',
    async (method, route, request, source) => {
      const before = await managedNames();

      expect(await call(method, route, request)).toEqual({
        status: 400,
        body: {
          error: `Invalid request ${source}: username: ${person}.`,
          code: 'INVALID_REQUEST',
          details: [{ field: 'username', message: person }],
        },
      });
      expect(await managedNames()).toEqual(before);
    },
  );
});

describe('an Idempotency-Key', () => {
  const headers = { 'idempotency-key': `${prefix}key` };
  let once: Snapshot;

  it('answers a retried request with the same snapshot, making one copy', async () => {
    const answer = await take({ tenant: a.tenant, username: ben, note: 'week 3' }, headers);
    expect(answer).toEqual({
      status: 202,
      body: {
        id: snapshotId,
        username: ben,
        tag: 'default',
        note: 'week 3',
        state: 'Running',
        requestedAt: timestamp,
        copy: archiveCopy(a.tenant, answer.body.id),
      },
    });
    once = answer.body;
    const before = await managedNames();

    // The tag left to its default and said out loud is the same request.
    const again = await take({ tenant: a.tenant, username: ben, tag: 'default', note: 'week 3' }, headers);

    expect(again).toEqual({ status: 202, body: once });
    expect(await managedNames()).toEqual(before);
    const { items } = await core.listNamespacedPod({
      namespace: a.namespace,
      labelSelector: `moop.io/operation=${once.id}`,
    });
    expect(items.map((p) => p.metadata?.name)).toEqual([once.copy]);
  });

  it('refuses the same key with another note (409 IDEMPOTENCY_KEY_REUSED), making nothing', async () => {
    const before = await managedNames();

    expect(await take({ tenant: a.tenant, username: ben, note: 'week 4' }, headers)).toEqual({
      status: 409,
      body: {
        error: 'This Idempotency-Key was used for a different request; use a new key for a new request.',
        code: 'IDEMPOTENCY_KEY_REUSED',
      },
    });
    expect(await managedNames()).toEqual(before);
    expect((await settled(a.tenant, ben)).items.map((s) => [s.id, s.note])).toEqual([[once.id, 'week 3']]);
  });
});

/** An index entry of ana's written with the service's keep(), taken an hour ago: a Succeeded snapshot without a copy. */
let older: Kept;

describe('GET /service/v1/snapshots', () => {
  beforeAll(async () => {
    const answer = await take({ tenant: a.tenant, username: ana });
    expect(answer.status).toBe(202);
    second = answer.body;
    const hourAgo = Date.now() - 3_600_000;
    older = {
      id: newId(),
      username: ana,
      tag: 'default',
      note: 'kept by the test',
      requestedAt: new Date(hourAgo - 5000).toISOString(),
      takenAt: new Date(hourAgo).toISOString(),
      bytes: 2048,
      files: 7,
    };
    await keep(resources, a.tenant, older);
  });

  it("lists newest first: the copies kwok ended Failed with the kubelet's reason (never indexed), the index entry Succeeded", async () => {
    const page = await settled(a.tenant, ana);

    expect(page).toEqual({
      items: [
        { ...second, ...kwokEnded },
        { ...first, ...kwokEnded },
        { ...older, state: 'Succeeded' },
      ],
    });
    // Nothing was indexed from kwok's copies: only the test's own entry is in moop-records.
    const { items } = await core.listNamespacedConfigMap({
      namespace: recordsNamespace,
      labelSelector: `moop.io/snapshot-of=${studentFolder({ username: ana, tag: 'default' })}`,
    });
    expect(items.map((m) => m.metadata?.name)).toEqual([entryName(a.tenant, older.id)]);
  });

  it('answers a page at a time, each continue leading to the next', async () => {
    const pages: Page[] = [];
    let token: string | undefined;
    do {
      const answer = await list(a.tenant, ana, { limit: '1', ...(token ? { continue: token } : {}) });
      expect(answer.status).toBe(200);
      pages.push(answer.body);
      token = answer.body.continue;
    } while (token && pages.length < 5);

    expect(pages).toEqual([
      { items: [{ ...second, ...kwokEnded }], continue: expect.any(String) },
      { items: [{ ...first, ...kwokEnded }], continue: expect.any(String) },
      { items: [{ ...older, state: 'Succeeded' }] },
    ]);
  });

  it('answers another tenant, and a school sharing the namespace, none of these for the same username', async () => {
    for (const other of [b.tenant, neighbour])
      expect(await list(other, ana)).toEqual({ status: 200, body: { items: [] } });
  });

  it("lists an entry of another tenant's student of the same name only to that tenant", async () => {
    // The same (username, tag) has the same store folder in every tenant: the entry's tenant decides.
    const theirs: Kept = { ...older, id: newId(), note: 'tenant b' };
    await keep(resources, b.tenant, theirs);

    expect(await list(b.tenant, ana)).toEqual({ status: 200, body: { items: [{ ...theirs, state: 'Succeeded' }] } });
    expect((await list(a.tenant, ana)).body.items.map((s) => s.id)).toEqual([second.id, first.id, older.id]);
    expect(await call('DELETE', path, { query: { tenant: a.tenant, username: ana, id: theirs.id } })).toEqual(
      noSnapshot(theirs.id, ana),
    );
    expect(await list(neighbour, ana)).toEqual({ status: 200, body: { items: [] } });
  });

  it('lists the snapshot of a student whose name has an accent and a space: the copy found by its escaped labels', async () => {
    const answer = await take({ tenant: a.tenant, username: elodie, note: 'Élodie’s «final»' });
    expect(answer).toEqual({
      status: 202,
      body: {
        id: snapshotId,
        username: elodie,
        tag: 'default',
        note: 'Élodie’s «final»',
        state: 'Running',
        requestedAt: timestamp,
        copy: archiveCopy(a.tenant, answer.body.id),
      },
    });
    const labels = (await pod(answer.body.copy!)).metadata?.labels;
    expect(labels).toEqual(copyLabels(labelValue(elodie), answer.body.id));
    expect(labels?.['moop.io/user']).not.toBe(elodie);

    expect(await settled(a.tenant, elodie)).toEqual({ items: [{ ...answer.body, ...kwokEnded }] });
  });

  it('answers a student without any snapshot an empty list', async () => {
    expect(await list(a.tenant, ghost)).toEqual({ status: 200, body: { items: [] } });
  });
});

describe('POST /service/v1/snapshots/restores', () => {
  const restore = (body: object) => call<Restore>('POST', restores, { body: { tenant: a.tenant, ...body } });

  it("restores a Succeeded snapshot beside the student's files: 202, a folder named for when it was taken, the copy", async () => {
    const answer = await restore({ username: ana, id: older.id });
    const folder = `restored-${older.takenAt.slice(0, 19).replace(/:/g, '-')}Z`;

    expect(answer).toEqual({
      status: 202,
      body: { snapshot: older.id, mode: 'beside', folder, copy: { name: expect.any(String), kind: 'Pod' } },
    });
    const copy = await pod(answer.body.copy.name);
    expect(shapeOf(copy)).toEqual({
      labels: copyLabels(ana, expect.stringMatching(/^restore-[0-9a-z]{20}$/)),
      annotations: { 'moop.io/tenant': a.tenant },
      // The student's claim read-write, the store read-only (the volume and the mount).
      volumes: [claimVolume(0, claims.get(ana)!), claimVolume(1, storeA.claim, true)],
      containers: [
        container(
          'restore',
          restoreScript,
          [
            ['MOOP_ARCHIVE', `/moop/store/${older.id}.tar.gz`],
            ['MOOP_TO', `/moop/student/${folder}`],
            ['MOOP_MODE', 'beside'],
            ['MOOP_RESULT', '/dev/termination-log'],
          ],
          [
            { name: 'moop-vol-0', mountPath: '/moop/student' },
            {
              name: 'moop-vol-1',
              mountPath: '/moop/store',
              subPath: studentFolder({ username: ana, tag: 'default' }),
              readOnly: true,
            },
          ],
        ),
      ],
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
    });
  });

  it('restores replacing the volume: no folder, the volume itself the destination', async () => {
    const answer = await restore({ username: ana, id: older.id, mode: 'replace' });

    expect(answer).toEqual({
      status: 202,
      body: { snapshot: older.id, mode: 'replace', copy: { name: expect.any(String), kind: 'Pod' } },
    });
    const [restoring] = (await pod(answer.body.copy.name)).spec!.containers;
    expect(restoring!.env).toEqual([
      { name: 'MOOP_ARCHIVE', value: `/moop/store/${older.id}.tar.gz` },
      { name: 'MOOP_TO', value: '/moop/student' },
      { name: 'MOOP_MODE', value: 'replace' },
      { name: 'MOOP_RESULT', value: '/dev/termination-log' },
    ]);
  });

  it.each([
    ['an id no snapshot has', () => ({ tenant: a.tenant, username: ana, id: newId() })],
    ['a snapshot kwok ended un-indexed (Failed)', () => ({ tenant: a.tenant, username: ana, id: first.id })],
    ["another student's snapshot", () => ({ tenant: a.tenant, username: ben, id: older.id })],
    ["the student's snapshot asked by tenant b", () => ({ tenant: b.tenant, username: ana, id: older.id })],
    [
      "the student's snapshot asked by a school sharing a's namespace",
      () => ({ tenant: neighbour, username: ana, id: older.id }),
    ],
  ])('answers %s 404 SNAPSHOT_NOT_FOUND, making nothing', async (_what, body) => {
    const before = await managedNames();
    const asked = body();

    expect(await call('POST', restores, { body: asked })).toEqual(noSnapshot(asked.id, asked.username));
    expect(await managedNames()).toEqual(before);
  });
});

describe('DELETE /service/v1/snapshots', () => {
  const remove = (tenant: string, username: string, id: string) =>
    call('DELETE', path, { query: { tenant, username, id } });

  it.each([
    ['an id no snapshot has', () => [a.tenant, ana, newId()]],
    ['a snapshot kwok ended un-indexed (Failed): only a kept snapshot is deleted', () => [a.tenant, ana, first.id]],
    ["another student's snapshot", () => [a.tenant, ben, older.id]],
    ["the student's snapshot asked by tenant b", () => [b.tenant, ana, older.id]],
    ["the student's snapshot asked by a school sharing a's namespace", () => [neighbour, ana, older.id]],
  ])('answers %s 404 SNAPSHOT_NOT_FOUND, removing nothing', async (_what, asked) => {
    const [tenant, username, id] = asked() as [string, string, string];
    const before = await managedNames();

    expect(await remove(tenant, username, id)).toEqual(noSnapshot(id, username));
    expect(await managedNames()).toEqual(before);
  });

  it('deletes a kept snapshot: 200 {deleted}, the copy that made it and the entry gone, a copy removes the archive', async () => {
    // second's copy as if it had reported its archive: indexed as a list would index it.
    const made = await pod(second.copy!);
    const finishedAt = made.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt;
    const kept: Kept = {
      id: second.id,
      username: ana,
      tag: 'default',
      requestedAt: second.requestedAt,
      takenAt: new Date(finishedAt!).toISOString(),
      bytes: 4096,
      files: 3,
    };
    await keep(resources, a.tenant, kept);
    expect((await list(a.tenant, ana)).body.items).toEqual([
      { ...kept, state: 'Succeeded' },
      { ...first, ...kwokEnded },
      { ...older, state: 'Succeeded' },
    ]);

    expect(await remove(a.tenant, ana, second.id)).toEqual({ status: 200, body: { deleted: second.id } });

    expect(
      await statusOfCall(
        core.readNamespacedConfigMap({ name: entryName(a.tenant, second.id), namespace: recordsNamespace }),
      ),
    ).toBe(404);
    // Its copy goes with it: a list never finds its report again.
    await until(`copy ${second.copy} to be gone`, async () => (await statusOfCall(pod(second.copy!))) === 404);
    const removals = await copiesOf(ana, 'remove');
    expect(removals.map(shapeOf)).toEqual([
      {
        labels: copyLabels(ana, expect.stringMatching(/^remove-[0-9a-z]{20}$/)),
        annotations: { 'moop.io/tenant': a.tenant },
        // Only the student's folder of the store.
        volumes: [claimVolume(0, storeA.claim)],
        containers: [
          container(
            'remove',
            removeScript,
            [
              ['MOOP_STORE', '/moop/store'],
              ['MOOP_REMOVE', `${second.id}.tar.gz`],
              ['MOOP_RESULT', '/dev/termination-log'],
            ],
            [
              {
                name: 'moop-vol-0',
                mountPath: '/moop/store',
                subPath: studentFolder({ username: ana, tag: 'default' }),
              },
            ],
          ),
        ],
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
      },
    ]);
    expect(await list(a.tenant, ana)).toEqual({
      status: 200,
      body: {
        items: [
          { ...first, ...kwokEnded },
          { ...older, state: 'Succeeded' },
        ],
      },
    });
  });

  it('deletes a kept snapshot that has no copy; then a second DELETE is a 404', async () => {
    expect(await remove(a.tenant, ana, older.id)).toEqual({ status: 200, body: { deleted: older.id } });

    expect(await list(a.tenant, ana)).toEqual({ status: 200, body: { items: [{ ...first, ...kwokEnded }] } });
    expect((await copiesOf(ana, 'remove')).map((p) => p.spec?.containers[0]?.env?.[1]?.value).sort()).toEqual(
      [`${older.id}.tar.gz`, `${second.id}.tar.gz`].sort(),
    );
    expect(await remove(a.tenant, ana, older.id)).toEqual(noSnapshot(older.id, ana));
  });
});

describe('notify', () => {
  it("keeps a notice about the snapshot's copy (kind Pod, its name and uid) with the caller's correlation id", async () => {
    const correlationId = `${prefix}snap`;
    const answer = await take({ tenant: a.tenant, username: cy, notify: { id: correlationId } });
    expect(answer).toEqual({
      status: 202,
      body: {
        id: snapshotId,
        username: cy,
        tag: 'default',
        state: 'Running',
        requestedAt: timestamp,
        copy: archiveCopy(a.tenant, answer.body.id),
      },
    });
    const uid = (await pod(answer.body.copy!)).metadata!.uid!;

    const notices = await noticeMaps(a.namespace, correlationId);

    expect(
      notices.map((m: V1ConfigMap) => ({ name: m.metadata?.name, labels: m.metadata?.labels, data: m.data })),
    ).toEqual([
      {
        name: expect.stringMatching(new RegExp(`^notice-${a.tenant}-[a-z0-9]+$`)),
        labels: {
          'app.kubernetes.io/managed-by': 'moop-resource-service',
          'moop.io/tenant': a.tenant,
          'moop.io/notice-for': 'Pod',
        },
        data: {
          namespace: a.namespace,
          target: JSON.stringify({ kind: 'Pod', name: answer.body.copy, uid }),
          correlationId,
          username: cy,
          requestedAt: timestamp,
          told: '[]',
        },
      },
    ]);
  });
});
