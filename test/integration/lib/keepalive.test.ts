// Kept-alive connections that the other side dropped while they idled (the API server after 90 s, a load balancer, a
// Lambda frozen between invocations) must not fail the next request: the clients try once more on a new connection.
import { KubeClient } from '../../../lib/kube/client.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { httpTenantSource } from '../../../lib/tenants/http-source.ts';
import { tenants } from '../../fixtures/tenants.ts';
import { startIdleDroppingProxy } from '../../support/idle-dropping-proxy.ts';

const idleMs = 300;
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, idleMs + 200));

it('reaches the API server again after the connection was dropped while idle', async () => {
  const access = loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! });
  const target = new URL(access.server);
  const proxy = await startIdleDroppingProxy({ host: target.hostname, port: Number(target.port) }, idleMs);
  // The API server's certificate names 127.0.0.1, which the proxy's address is too.
  const kube = new KubeClient({ ...access, server: `https://127.0.0.1:${proxy.port}` }, { timeoutMs: 4000 });
  try {
    const list = () =>
      kube.request<{ kind: string }>({ method: 'GET', path: '/api/v1/persistentvolumes', query: { limit: 1 } });
    expect((await list()).kind).toBe('PersistentVolumeList');
    await pause();

    expect((await list()).kind).toBe('PersistentVolumeList');
    expect(proxy.resets()).toBe(1);
  } finally {
    await kube.close();
    await proxy.close();
  }
});

it('reaches the tenant service again after the connection was dropped while idle', async () => {
  const url = new URL(process.env.MOOP_TEST_TENANT_SERVICE_URL!);
  const proxy = await startIdleDroppingProxy({ host: url.hostname, port: Number(url.port) }, idleMs);
  const source = httpTenantSource({
    url: `http://127.0.0.1:${proxy.port}${url.pathname}`,
    moopkey: async () => 'unused',
    timeoutMs: 3000,
  });
  try {
    expect((await source(tenants.a.id)).id).toBe(tenants.a.id);
    await pause();

    expect((await source(tenants.a.id)).id).toBe(tenants.a.id);
    expect(proxy.resets()).toBe(1);
  } finally {
    await proxy.close();
  }
});
