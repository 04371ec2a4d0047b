// Stops what the global setup started and leaves no process or temporary folder behind.
import { takeRunning } from './running.ts';

export default async function globalTeardown(): Promise<void> {
  const running = takeRunning();
  if (!running) return;
  running.control.close();
  await running.offline.stop();
  running.offlineOut.end();
  await running.tenantService.close();
  await running.cluster.stop();
}
