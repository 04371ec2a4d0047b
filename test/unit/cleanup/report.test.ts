import { Logger } from '@aws-lambda-powertools/logger';
import { jest } from '@jest/globals';
import { CleanupReport } from '../../../lib/cleanup/report.ts';
import { finishedAt } from '../../../lib/copies/status.ts';

const pv = (name: string) => ({ metadata: { name } });
const job = (namespace: string, name: string) => ({ metadata: { namespace, name } });

describe('CleanupReport', () => {
  it('counts and names each action, sorted, so that runs compare equal whatever their order', () => {
    const a = new CleanupReport({ mode: 'scheduled', dryRun: true });
    a.record('deleteJob', job('t', 'b'));
    a.record('deleteJob', job('t', 'a'));
    a.record('recycleVolume', pv('v'));
    const b = new CleanupReport({ mode: 'scheduled', dryRun: true });
    b.record('recycleVolume', pv('v'));
    b.record('deleteJob', job('t', 'a'));
    b.record('deleteJob', job('t', 'b'));

    expect(a.summary()).toEqual({
      mode: 'scheduled',
      dryRun: true,
      actions: { deleteJob: { count: 2, names: ['t/a', 't/b'] }, recycleVolume: { count: 1, names: ['v'] } },
      orphanTenants: [],
      failures: [],
    });
    expect(b.summary()).toEqual(a.summary());
  });

  it('lists failures with their error', () => {
    const report = new CleanupReport({ mode: 'tenant-removed', dryRun: false, tenant: 't1' });
    report.fail('deleteVolume', pv('v'), new Error('denied'));
    expect(report.summary().failures).toEqual([{ action: 'deleteVolume', name: 'v', error: 'denied' }]);
  });

  it('writes one log line per action, per failure and for the totals', () => {
    const lines: string[] = [];
    const logger = new Logger({ serviceName: 'test' });
    const capture = (chunk: unknown): boolean => {
      lines.push(String(chunk));
      return true;
    };
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation(capture),
      jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const report = new CleanupReport({ mode: 'scheduled', dryRun: false });
    report.record('deleteJob', job('t', 'a'));
    report.fail('deleteVolume', pv('v'), new Error('denied'));
    try {
      report.log(logger);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const parsed = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((l) => [l.message, l.action ?? null])).toEqual([
      ['cleanup action', 'deleteJob'],
      ['cleanup failure', 'deleteVolume'],
      ['cleanup finished', null],
    ]);
    expect(parsed[2]).toMatchObject({ counts: { deleteJob: 1 }, failures: 1 });
  });
});

describe('finishedAt', () => {
  it('is when the Complete or Failed condition turned true', () => {
    expect(
      finishedAt({
        status: {
          conditions: [
            { type: 'Complete', status: 'True', lastTransitionTime: '2026-11-21T10:00:00Z' as unknown as Date },
          ],
        },
      }),
    ).toBe(Date.parse('2026-11-21T10:00:00Z'));
    expect(
      finishedAt({
        status: {
          conditions: [
            { type: 'Failed', status: 'True', lastTransitionTime: '2026-11-21T11:00:00Z' as unknown as Date },
          ],
        },
      }),
    ).toBe(Date.parse('2026-11-21T11:00:00Z'));
  });

  it('is undefined while the Job runs', () => {
    expect(finishedAt({ status: { active: 1, conditions: [{ type: 'Complete', status: 'False' }] } })).toBeUndefined();
    expect(finishedAt({})).toBeUndefined();
  });

  it("is when a finished Pod's last container stopped", () => {
    const terminated = (finishedAt: string) => ({
      name: 'c',
      image: 'i',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, finishedAt: finishedAt as unknown as Date } },
    });
    expect(
      finishedAt({
        kind: 'Pod',
        status: {
          phase: 'Succeeded',
          containerStatuses: [terminated('2026-11-21T10:00:00Z'), terminated('2026-11-21T10:05:00Z')],
        },
      }),
    ).toBe(Date.parse('2026-11-21T10:05:00Z'));
  });

  it('is the start of a Pod that failed before any container ran, and undefined while a Pod runs', () => {
    expect(
      finishedAt({ kind: 'Pod', status: { phase: 'Failed', startTime: '2026-11-21T09:00:00Z' as unknown as Date } }),
    ).toBe(Date.parse('2026-11-21T09:00:00Z'));
    expect(finishedAt({ kind: 'Pod', status: { phase: 'Running' } })).toBeUndefined();
    expect(finishedAt({ kind: 'Pod', status: { phase: 'Pending' } })).toBeUndefined();
  });
});
