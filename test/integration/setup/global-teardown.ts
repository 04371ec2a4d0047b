// Stops what the global setup started and leaves no process or temporary folder behind. Fails the run if any test
// left an object the service made: the suite must leave the cluster as it found it.
import { managedNames } from '../../support/managed.ts';
import { stopMoto } from '../../support/notices.ts';
import { takeRunning } from './running.ts';

export default async function globalTeardown(): Promise<void> {
  const running = takeRunning();
  if (!running) return;
  const left = await managedNames().catch((err: unknown) => [`(could not list: ${String(err)})`]);
  running.control.close();
  await running.offline.stop();
  running.offlineOut.end();
  await running.tenantService.close();
  running.sts.stop();
  stopMoto();
  await running.authenticator.close();
  await running.cluster.stop();
  if (left.length > 0)
    throw new Error(`The integration suite left ${left.length} managed object(s) behind:\n${left.join('\n')}`);
}
