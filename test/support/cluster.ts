// The test's own view of the local cluster: an admin client to arrange fixtures and check what the service did,
// independent of the service's code, and the control endpoint that stops and restarts the API server.

import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, KubeConfig, StorageV1Api } from '@kubernetes/client-node';

function kubeconfig(variable: string): KubeConfig {
  const file = process.env[variable];
  if (!file)
    throw new Error(`${variable} is not set: run integration tests through jest's integration project (npm test)`);
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/** Cluster-admin clients (system:masters). */
export function admin(): { kc: KubeConfig; core: CoreV1Api; batch: BatchV1Api; storage: StorageV1Api } {
  const kc = kubeconfig('MOOP_TEST_ADMIN_KUBECONFIG');
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    storage: kc.makeApiClient(StorageV1Api),
  };
}

/** Clients with the service's own least-privilege account. */
export function serviceAccount(): { kc: KubeConfig; core: CoreV1Api; batch: BatchV1Api } {
  const kc = kubeconfig('MOOP_TEST_SERVICE_KUBECONFIG');
  return { kc, core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

/** Polls check until it returns true, or fails after timeoutMs saying what it waited for (and check's last error). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `; last error: ${String(last)}` : ''}`,
  );
}

/** Polls read until it returns a value other than undefined, and returns that value; fails as until does. */
export async function eventually<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  let value: T | undefined;
  await until(what, async () => (value = await read()) !== undefined, timeoutMs);
  return value as T;
}

async function control(action: 'stop' | 'start' | 'pause' | 'resume'): Promise<void> {
  const response = await fetch(`${process.env.MOOP_TEST_CONTROL_URL}/apiserver/${action}`, { method: 'POST' });
  if (response.status !== 204) throw new Error(`could not ${action} the API server: ${await response.text()}`);
}

export const stopApiServer = (): Promise<void> => control('stop');
export const startApiServer = (): Promise<void> => control('start');
export const pauseApiServer = (): Promise<void> => control('pause');
export const resumeApiServer = (): Promise<void> => control('resume');

/** The HTTP status of a client-node call's failure, e.g. 403 or 404. */
export async function statusOfCall(promise: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}
