// Under the tests (and the benchmark) nothing runs cleanup but the tests themselves: serverless-offline, which fires
// `schedule` events locally, is started with cleanup's schedule disabled (CLEANUP_SCHEDULE_ENABLED=false).
import { readFileSync } from 'node:fs';

it("serverless-offline reports cleanup's schedule disabled, and schedules no cron for it", () => {
  const log = readFileSync(process.env.MOOP_TEST_OFFLINE_LOG!, 'utf8');
  expect(log).toContain('Scheduling [cleanup] cron: disabled');
  expect(log).not.toMatch(/Scheduling \[cleanup\] cron: \[/);
});
