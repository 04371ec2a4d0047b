// Each student's result read from the copies as the lists found them: the script's report in their container's
// termination message; a container that ended without one, a copy that ended before it ran, or a copy gone, a failure
// with why; a copy waiting, running (with why, when waiting is news); a Job's retries read from the newest pod that
// ended. And from the students' results, the operation's summary, state and end.
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import type { OperationPlan } from '../../../lib/operations/record.ts';
import { operationResults } from '../../../lib/operations/results.ts';
import { Operation } from '../../../lib/operations/schemas.ts';

const id = 'op-abcdefghij0123456789';
const startedAt = '2026-03-01T10:00:00.000Z';
const t0 = Date.parse(startedAt);
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
/** A minute after the start: past the grace a copy missing from the lists is given. */
const later = t0 + 60_000;

/** The termination message the script writes. */
const message = (
  status: string,
  counts: { files?: number; bytes?: number; kept?: number; late?: number },
  reason = ' ',
): string =>
  `moop-copy 1\nstatus ${status}\nfiles ${counts.files ?? 0}\nbytes ${counts.bytes ?? 0}\nkept ${counts.kept ?? 0}\n` +
  `late ${counts.late ?? 0}\nreason ${reason}\n`;

const base = { image: 'busybox', imageID: '', ready: false, restartCount: 0 };
/** A student's container that ended: its message (if it wrote one), when, how. */
const ended = (
  index: number,
  text: string | undefined,
  seconds: number,
  how: { reason?: string; exitCode?: number } = {},
): V1ContainerStatus => ({
  ...base,
  name: `student-${index}`,
  state: {
    terminated: {
      exitCode: how.exitCode ?? 0,
      reason: how.reason ?? 'Completed',
      ...(text !== undefined ? { message: text } : {}),
      finishedAt: at(seconds) as unknown as Date,
    },
  },
});
const waiting = (index: number, reason: string, text?: string): V1ContainerStatus => ({
  ...base,
  name: `student-${index}`,
  state: { waiting: { reason, ...(text !== undefined ? { message: text } : {}) } },
});
const running = (index: number): V1ContainerStatus => ({
  ...base,
  name: `student-${index}`,
  state: { running: { startedAt: at(5) as unknown as Date } },
});

/** A copy's Pod as a list holds it (no kind), a Job's pod carrying its job-name label. */
const pod = (name: string, status: V1Pod['status'], options: { job?: string; created?: number } = {}): V1Pod => ({
  metadata: {
    name,
    namespace: 'tenant-a',
    creationTimestamp: at(options.created ?? 1) as unknown as Date,
    labels: { 'moop.io/operation': id, ...(options.job ? { 'job-name': options.job } : {}) },
  },
  status,
});
const job = (name: string, status: V1Job['status'] = {}): V1Job => ({
  metadata: { name, namespace: 'tenant-a', labels: { 'moop.io/operation': id } },
  status,
});

const who = (username: string) => ({ username, tag: 'default' });
const planOf = (
  kind: OperationPlan['kind'],
  copies: OperationPlan['copies'],
  students: OperationPlan['students'],
): OperationPlan => ({ id, kind, namespace: 'tenant-a', startedAt, copies, students });

/** The summary with every status counted, those not given at 0. */
const summary = (counts: Partial<Record<'running' | 'copied' | 'late' | 'skipped' | 'failed', number>>) => ({
  running: 0,
  copied: 0,
  late: 0,
  skipped: 0,
  failed: 0,
  ...counts,
});

describe('a distribution that has ended', () => {
  const plan = planOf(
    'distribution',
    [
      { name: 'job-a-first', kind: 'Pod', students: [0, 2, 3] },
      { name: 'job-a-second', kind: 'Pod', students: [4] },
    ],
    [
      { ...who('alice'), copy: 'job-a-first' },
      { ...who('bob'), skipped: { code: 'NO_VOLUME', message: 'bob has no claim (tag default)' } },
      { ...who('carol'), copy: 'job-a-first' },
      { ...who('dan'), copy: 'job-a-first' },
      { ...who('erin'), copy: 'job-a-second' },
      { ...who('frank'), failed: { code: 'QUOTA_EXCEEDED', message: 'exceeded quota: pods' } },
    ],
  );
  const pods = [
    pod('job-a-first', {
      phase: 'Succeeded',
      containerStatuses: [
        ended(0, message('copied', { files: 3, bytes: 120, kept: 1 }), 60),
        ended(2, message('skipped', { kept: 3 }, 'NOTHING_TO_COPY every file is there already (kept)'), 90),
        ended(3, message('failed', {}, 'SOURCE_MISSING no folder /course/week1 to copy from'), 50),
      ],
    }),
    pod('job-a-second', {
      phase: 'Failed',
      containerStatuses: [ended(4, undefined, 120, { reason: 'OOMKilled', exitCode: 137 })],
    }),
  ];

  it("answers every student's result, the summary, Failed, and when the last copy ended", () => {
    const operation = operationResults(plan, { pods, jobs: [] }, later);
    expect(operation).toEqual({
      id,
      kind: 'distribution',
      state: 'Failed',
      startedAt,
      finishedAt: at(120),
      summary: summary({ copied: 1, skipped: 2, failed: 3 }),
      copies: [
        { name: 'job-a-first', kind: 'Pod', students: 3 },
        { name: 'job-a-second', kind: 'Pod', students: 1 },
      ],
      students: [
        { ...who('alice'), copy: 'job-a-first', status: 'copied', files: 3, bytes: 120, kept: 1 },
        {
          ...who('bob'),
          status: 'skipped',
          reason: { code: 'NO_VOLUME', message: 'bob has no claim (tag default)' },
        },
        {
          ...who('carol'),
          copy: 'job-a-first',
          status: 'skipped',
          files: 0,
          bytes: 0,
          kept: 3,
          reason: { code: 'NOTHING_TO_COPY', message: 'every file is there already (kept)' },
        },
        {
          ...who('dan'),
          copy: 'job-a-first',
          status: 'failed',
          files: 0,
          bytes: 0,
          kept: 0,
          reason: { code: 'SOURCE_MISSING', message: 'no folder /course/week1 to copy from' },
        },
        {
          ...who('erin'),
          copy: 'job-a-second',
          status: 'failed',
          reason: { code: 'COPY_ENDED', message: 'the copy ended (OOMKilled, exit code 137) before it reported' },
        },
        { ...who('frank'), status: 'failed', reason: { code: 'QUOTA_EXCEEDED', message: 'exceeded quota: pods' } },
      ],
    });
    // The answer is one the route may give.
    expect(Operation.parse(operation)).toEqual(operation);
  });

  it('is Succeeded when no student failed, every one copied or skipped', () => {
    const fine = planOf(
      'distribution',
      [plan.copies[0]!],
      [{ ...who('alice'), copy: 'job-a-first' }, plan.students[1]!, { ...who('carol'), copy: 'job-a-first' }],
    );
    const ok = pod('job-a-first', {
      phase: 'Succeeded',
      containerStatuses: [
        ended(0, message('copied', { files: 1, bytes: 2 }), 30),
        ended(2, message('skipped', {}, 'NOTHING_TO_COPY no files in the folder to copy from'), 31),
      ],
    });
    expect(operationResults(fine, { pods: [ok], jobs: [] }, later)).toMatchObject({
      state: 'Succeeded',
      finishedAt: at(31),
      summary: summary({ copied: 1, skipped: 2 }),
    });
  });

  it("counts no student late, whatever a distribution's message says of late files", () => {
    const one = planOf('distribution', [{ name: 'p', kind: 'Pod', students: [0] }], [{ ...who('alice'), copy: 'p' }]);
    const p = pod('p', {
      phase: 'Succeeded',
      containerStatuses: [ended(0, message('copied', { files: 2, bytes: 9, late: 2 }), 10)],
    });
    expect(operationResults(one, { pods: [p], jobs: [] }, later).students).toEqual([
      { ...who('alice'), copy: 'p', status: 'copied', files: 2, bytes: 9, kept: 0 },
    ]);
  });
});

describe('a collection', () => {
  const plan = planOf(
    'collection',
    [{ name: 'job-b-copy', kind: 'Job', students: [0, 1, 2] }],
    [
      { ...who('alice'), copy: 'job-b-copy' },
      { ...who('bob'), copy: 'job-b-copy' },
      { ...who('carol'), copy: 'job-b-copy' },
    ],
  );

  it('counts a student late when some files changed after the cutoff, with how many; Succeeded', () => {
    const p = pod(
      'job-b-copy-x7k2p',
      {
        phase: 'Succeeded',
        containerStatuses: [
          ended(0, message('copied', { files: 4, bytes: 400, late: 2 }), 40),
          ended(1, message('copied', { files: 1, bytes: 10 }), 41),
          ended(2, message('skipped', {}, 'NOTHING_TO_COPY no files in the folder to copy from'), 42),
        ],
      },
      { job: 'job-b-copy' },
    );
    const done = job('job-b-copy', {
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at(45) as unknown as Date }],
    });
    const operation = operationResults(plan, { pods: [p], jobs: [done] }, later);
    expect(operation).toEqual({
      id,
      kind: 'collection',
      state: 'Succeeded',
      startedAt,
      finishedAt: at(42),
      summary: summary({ copied: 1, late: 1, skipped: 1 }),
      copies: [{ name: 'job-b-copy', kind: 'Job', students: 3 }],
      students: [
        { ...who('alice'), copy: 'job-b-copy', status: 'late', files: 4, bytes: 400, lateFiles: 2 },
        { ...who('bob'), copy: 'job-b-copy', status: 'copied', files: 1, bytes: 10, lateFiles: 0 },
        {
          ...who('carol'),
          copy: 'job-b-copy',
          status: 'skipped',
          files: 0,
          bytes: 0,
          lateFiles: 0,
          reason: { code: 'NOTHING_TO_COPY', message: 'no files in the folder to copy from' },
        },
      ],
    });
    expect(Operation.parse(operation)).toEqual(operation);
  });

  it("reads a retried Job's newest pod whose containers all ended, whichever order the list gives", () => {
    const first = pod(
      'job-b-copy-aaaaa',
      {
        phase: 'Failed',
        containerStatuses: [
          ended(0, message('copied', { files: 1, bytes: 1 }), 20),
          ended(1, undefined, 21, { reason: 'OOMKilled', exitCode: 137 }),
          ended(2, message('copied', { files: 1, bytes: 1 }), 20),
        ],
      },
      { job: 'job-b-copy', created: 1 },
    );
    const retry = pod(
      'job-b-copy-bbbbb',
      {
        phase: 'Succeeded',
        containerStatuses: [
          ended(0, message('copied', { files: 1, bytes: 1 }), 50),
          ended(1, message('copied', { files: 5, bytes: 50 }), 55),
          ended(2, message('copied', { files: 1, bytes: 1 }), 50),
        ],
      },
      { job: 'job-b-copy', created: 30 },
    );
    const done = job('job-b-copy', {
      conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at(56) as unknown as Date }],
    });
    for (const pods of [
      [first, retry],
      [retry, first],
    ]) {
      const operation = operationResults(plan, { pods, jobs: [done] }, later);
      expect([operation.state, operation.finishedAt, operation.students[1]]).toEqual([
        'Succeeded',
        at(55),
        { ...who('bob'), copy: 'job-b-copy', status: 'copied', files: 5, bytes: 50, lateFiles: 0 },
      ]);
    }
  });

  // A Job's retry is the copy now: the failed first pod is not read, or the operation would be settled Failed for good
  // while the retry may still copy everyone.
  it('is Running while a retry of its Job is under way after a pod failed', () => {
    const first = pod(
      'job-b-copy-aaaaa',
      {
        phase: 'Failed',
        containerStatuses: [
          ended(0, message('copied', { files: 1, bytes: 1 }), 20),
          ended(1, undefined, 21, { reason: 'OOMKilled', exitCode: 137 }),
          ended(2, message('copied', { files: 1, bytes: 1 }), 20),
        ],
      },
      { job: 'job-b-copy', created: 1 },
    );
    const retry = pod(
      'job-b-copy-bbbbb',
      { phase: 'Running', containerStatuses: [running(0), running(1), running(2)] },
      { job: 'job-b-copy', created: 30 },
    );
    const active = job('job-b-copy', { active: 1, failed: 1 });
    const operation = operationResults(plan, { pods: [first, retry], jobs: [active] }, later);
    expect([operation.state, operation.finishedAt, operation.summary]).toEqual([
      'Running',
      undefined,
      summary({ running: 3 }),
    ]);
  });

  it("fails every student of a Job that ended without a pod, with the Job's reason", () => {
    const failed = job('job-b-copy', {
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
          lastTransitionTime: at(600) as unknown as Date,
        },
      ],
    });
    const operation = operationResults(plan, { pods: [], jobs: [failed] }, t0 + 700_000);
    expect([operation.state, operation.finishedAt, operation.students]).toEqual([
      'Failed',
      at(600),
      ['alice', 'bob', 'carol'].map((u) => ({
        ...who(u),
        copy: 'job-b-copy',
        status: 'failed',
        reason: { code: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
      })),
    ]);
  });

  it('is running while its Job has made no pod yet, however old', () => {
    const operation = operationResults(plan, { pods: [], jobs: [job('job-b-copy', { active: 0 })] }, later);
    expect([operation.state, operation.summary, operation.finishedAt]).toEqual([
      'Running',
      summary({ running: 3 }),
      undefined,
    ]);
  });
});

describe('a copy that has not ended', () => {
  const plan = planOf(
    'distribution',
    [{ name: 'p', kind: 'Pod', students: [0, 1, 2, 3] }],
    ['alice', 'bob', 'carol', 'dan'].map((u) => ({ ...who(u), copy: 'p' })),
  );

  it('has its students running, with why when the wait is news (an image not pulled), and no end', () => {
    const p = pod('p', {
      phase: 'Pending',
      containerStatuses: [
        waiting(0, 'ImagePullBackOff', 'Back-off pulling image "busybox:1.28.4"'),
        waiting(1, 'ContainerCreating'),
        waiting(2, 'PodInitializing'),
        waiting(3, 'CreateContainerConfigError'),
      ],
    });
    expect(operationResults(plan, { pods: [p], jobs: [] }, later)).toEqual({
      id,
      kind: 'distribution',
      state: 'Running',
      startedAt,
      summary: summary({ running: 4 }),
      copies: [{ name: 'p', kind: 'Pod', students: 4 }],
      students: [
        {
          ...who('alice'),
          copy: 'p',
          status: 'running',
          reason: { code: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1.28.4"' },
        },
        { ...who('bob'), copy: 'p', status: 'running' },
        { ...who('carol'), copy: 'p', status: 'running' },
        { ...who('dan'), copy: 'p', status: 'running', reason: { code: 'CreateContainerConfigError', message: '' } },
      ],
    });
  });

  it('answers those done while the others still run: Running until every student has a result', () => {
    const p = pod('p', {
      phase: 'Running',
      containerStatuses: [
        ended(0, message('copied', { files: 1, bytes: 1 }), 10),
        running(1),
        ended(2, message('failed', {}, 'SOURCE_MISSING no folder /x to copy from'), 11),
        running(3),
      ],
    });
    const operation = operationResults(plan, { pods: [p], jobs: [] }, later);
    expect([operation.state, operation.summary, operation.finishedAt]).toEqual([
      'Running',
      summary({ running: 2, copied: 1, failed: 1 }),
      undefined,
    ]);
  });

  it('has its students running when the pod has no container statuses yet (scheduling)', () => {
    const operation = operationResults(plan, { pods: [pod('p', { phase: 'Pending' })], jobs: [] }, later);
    expect(operation.students.map((s) => [s.status, s.reason])).toEqual([
      ['running', undefined],
      ['running', undefined],
      ['running', undefined],
      ['running', undefined],
    ]);
  });
});

describe('a copy that ended before its students ran', () => {
  const plan = planOf(
    'collection',
    [{ name: 'p', kind: 'Pod', students: [0, 1] }],
    ['alice', 'bob'].map((u) => ({ ...who(u), copy: 'p' })),
  );

  it("fails them with the pod's reason: DeadlineExceeded, ended at its start", () => {
    const p = pod('p', {
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
      startTime: at(2) as unknown as Date,
      containerStatuses: [waiting(0, 'ContainerCreating'), waiting(1, 'ContainerCreating')],
    });
    expect(operationResults(plan, { pods: [p], jobs: [] }, later)).toEqual({
      id,
      kind: 'collection',
      state: 'Failed',
      startedAt,
      finishedAt: at(2),
      summary: summary({ failed: 2 }),
      copies: [{ name: 'p', kind: 'Pod', students: 2 }],
      students: ['alice', 'bob'].map((u) => ({
        ...who(u),
        copy: 'p',
        status: 'failed',
        reason: { code: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' },
      })),
    });
  });

  it('fails them as Failed when the pod says no more', () => {
    const p = pod('p', { phase: 'Failed', startTime: at(3) as unknown as Date });
    expect(operationResults(plan, { pods: [p], jobs: [] }, later).students[0]).toEqual({
      ...who('alice'),
      copy: 'p',
      status: 'failed',
      reason: { code: 'Failed', message: "the copy ended before this student's part ran" },
    });
  });

  it('fails a student whose container ended with a message not the script’s', () => {
    const p = pod('p', {
      phase: 'Failed',
      containerStatuses: [
        ended(0, 'exec /bin/sh: no such file or directory', 5, { reason: 'StartError', exitCode: 128 }),
        ended(1, message('copied', { files: 1, bytes: 1 }), 6),
      ],
    });
    expect(operationResults(plan, { pods: [p], jobs: [] }, later).students).toEqual([
      {
        ...who('alice'),
        copy: 'p',
        status: 'failed',
        reason: { code: 'COPY_ENDED', message: 'the copy ended (StartError, exit code 128) before it reported' },
      },
      { ...who('bob'), copy: 'p', status: 'copied', files: 1, bytes: 1, lateFiles: 0 },
    ]);
  });
});

describe('a copy the lists do not hold', () => {
  const plan = planOf(
    'distribution',
    [
      { name: 'gone', kind: 'Pod', students: [0] },
      { name: 'here', kind: 'Pod', students: [1] },
    ],
    [
      { ...who('alice'), copy: 'gone' },
      { ...who('bob'), copy: 'here' },
    ],
  );
  const here = pod('here', {
    phase: 'Succeeded',
    containerStatuses: [ended(1, message('copied', { files: 1, bytes: 1 }), 8)],
  });

  it('is running while the operation is young (the watch cache may lag)', () => {
    const operation = operationResults(plan, { pods: [here], jobs: [] }, t0 + 10_000);
    expect([operation.state, operation.students[0]]).toEqual([
      'Running',
      { ...who('alice'), copy: 'gone', status: 'running' },
    ]);
  });

  it('has been deleted once the operation is older than the grace: COPY_DELETED, Failed', () => {
    const operation = operationResults(plan, { pods: [here], jobs: [] }, later);
    expect([operation.state, operation.finishedAt, operation.students[0]]).toEqual([
      'Failed',
      at(8),
      {
        ...who('alice'),
        copy: 'gone',
        status: 'failed',
        reason: { code: 'COPY_DELETED', message: 'the copy was deleted before it reported' },
      },
    ]);
  });

  it('counts the grace as asked', () => {
    expect(operationResults(plan, { pods: [here], jobs: [] }, t0 + 10_000, 5_000).state).toBe('Failed');
    expect(operationResults(plan, { pods: [here], jobs: [] }, t0 + 10_000, 15_000).state).toBe('Running');
  });
});

describe('an operation with nothing to copy', () => {
  it('is Succeeded as it starts when every student was skipped', () => {
    const plan = planOf(
      'collection',
      [],
      [{ ...who('alice'), skipped: { code: 'NO_VOLUME', message: 'alice has no claim (tag default)' } }],
    );
    expect(operationResults(plan, { pods: [], jobs: [] }, t0)).toEqual({
      id,
      kind: 'collection',
      state: 'Succeeded',
      startedAt,
      finishedAt: startedAt,
      summary: summary({ skipped: 1 }),
      copies: [],
      students: [
        {
          ...who('alice'),
          status: 'skipped',
          reason: { code: 'NO_VOLUME', message: 'alice has no claim (tag default)' },
        },
      ],
    });
  });

  it('is Failed as it starts when no copy could be made', () => {
    const plan = planOf(
      'distribution',
      [],
      [{ ...who('alice'), failed: { code: 'QUOTA_EXCEEDED', message: 'exceeded quota: pods' } }],
    );
    expect(operationResults(plan, { pods: [], jobs: [] }, t0)).toMatchObject({
      state: 'Failed',
      finishedAt: startedAt,
      summary: summary({ failed: 1 }),
    });
  });
});
