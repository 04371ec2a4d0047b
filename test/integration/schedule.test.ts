// Under the tests (and the benchmark) nothing runs cleanup but the tests themselves: serverless-offline, which fires
// `schedule` events locally, is started with cleanup's and the notifier's schedules disabled (*_SCHEDULE_ENABLED=false).
import { readFileSync } from 'node:fs';

it.each(['cleanup', 'notifier'])(
  "serverless-offline reports the %s's schedule disabled, and schedules no cron for it",
  (fn) => {
    const log = readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8');
    expect(log).toContain(`Scheduling [${fn}] cron: disabled`);
    expect(log).not.toContain(`Scheduling [${fn}] cron: [`);
  },
);
