// Class operations' records, in cleanup's hands: before a scheduled run retires finished copies, an operation whose
// copies have all ended gets its results kept in its record (so reading it later still answers each student); one
// still running is left to a later run; a record past its 30 days goes; a dry run only reports.
import { Logger } from '@aws-lambda-powertools/logger';
import type { V1ConfigMap, V1Pod } from '@kubernetes/client-node';
import { runCleanup } from '../../../lib/cleanup/run.ts';
import { createRecord, type OperationPlan, operationTtlMs } from '../../../lib/operations/record.ts';
import { markOwned, recordsNamespace } from '../../../lib/ownership/ownership.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { FakeResources } from '../../support/fake-resources.ts';

const id = tenants.a.id;
let resources: FakeResources;
const settings = { policy: 'keep', retentionSeconds: 60, pageSize: 10, concurrency: 2, orphans: 'report' } as const;
const context = (now = Date.now()) => ({
  resources,
  tenants: { get: async () => tenants.a as never },
  logger: new Logger({ logLevel: 'SILENT' }),
  settings,
  now: () => now,
});
const startedAt = new Date(Date.now() - 3_600_000).toISOString();
const finished = new Date(Date.now() - 3_000_000).toISOString();

const plan = (op: string, copy: string): OperationPlan => ({
  id: op,
  kind: 'collection',
  namespace: 'tenant-a',
  startedAt,
  copies: [{ name: copy, kind: 'Pod', students: [0] }],
  students: [{ username: 'alice', tag: 'default', copy }],
});

/** A copy Pod of operation op that ended long ago, its student's container having reported status. */
const endedCopy = (op: string, name: string, phase: 'Succeeded' | 'Running'): V1Pod =>
  markOwned(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'tenant-a', labels: { 'moop.io/operation': op } },
      status: {
        phase,
        containerStatuses: [
          {
            name: 'student-0',
            image: 'busybox',
            imageID: '',
            ready: false,
            restartCount: 0,
            state:
              phase === 'Succeeded'
                ? {
                    terminated: {
                      exitCode: 0,
                      finishedAt: finished as never,
                      message: 'moop-copy 1\nstatus copied\nfiles 2\nbytes 30\nkept 0\nlate 0\nreason  \n',
                    },
                  }
                : { running: {} },
          },
        ],
      },
    },
    { tenant: id },
  );

const record = (op: string) => resources.objects.get(`v1/ConfigMap/${recordsNamespace}/operation-${id}-${op.slice(3)}`);
const results = (op: string) => JSON.parse((record(op) as V1ConfigMap | undefined)?.data?.results ?? 'null');
const [ended, running] = ['op-aaaaaaaaaaaaaaaaaaaa', 'op-bbbbbbbbbbbbbbbbbbbb'];

beforeEach(async () => {
  resources = new FakeResources();
  for (const name of ['tenant-a', recordsNamespace])
    await resources.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, ...(name === 'tenant-a' ? { labels: { 'moop.io/tenant': id } } : {}) },
    });
  await createRecord(resources, id, plan(ended, `job-${id}-ended`));
  await createRecord(resources, id, plan(running, `job-${id}-running`));
  await resources.seed(endedCopy(ended, `job-${id}-ended`, 'Succeeded'));
  await resources.seed(endedCopy(running, `job-${id}-running`, 'Running'));
});

it("keeps an ended operation's results in its record before its copy is retired, and leaves a running one", async () => {
  expect(record(ended)).toBeDefined();
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: false });

  expect(summary.actions.settleOperation?.names).toEqual([`${recordsNamespace}/operation-${id}-${ended.slice(3)}`]);
  expect(summary.actions.deletePod?.names).toEqual([`tenant-a/job-${id}-ended`]);
  expect(results(ended)).toEqual({
    id: ended,
    kind: 'collection',
    state: 'Succeeded',
    startedAt,
    finishedAt: finished,
    summary: { running: 0, copied: 1, late: 0, skipped: 0, failed: 0 },
    copies: [{ name: `job-${id}-ended`, kind: 'Pod', students: 1 }],
    students: [
      {
        username: 'alice',
        tag: 'default',
        copy: `job-${id}-ended`,
        status: 'copied',
        files: 2,
        bytes: 30,
        lateFiles: 0,
      },
    ],
  });
  expect(results(running)).toBeNull();
  expect(summary.failures).toEqual([]);
});

it('reports without changing anything on a dry run', async () => {
  const summary = await runCleanup(context(), { action: 'scheduled', dryRun: true });
  expect(summary.actions.settleOperation?.count).toBe(1);
  expect([results(ended), results(running)]).toEqual([null, null]);
});

it('deletes a record past its 30 days', async () => {
  const summary = await runCleanup(context(Date.now() + operationTtlMs + 1000), { action: 'scheduled', dryRun: false });
  expect(summary.actions.deleteOperation?.count).toBe(2);
  expect([record(ended), record(running)]).toEqual([undefined, undefined]);
});
