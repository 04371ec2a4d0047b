// lib/kube against the real API server, with the service's own least-privilege account.

import { TemplateError } from '../../../lib/errors.ts';
import { KubeClient } from '../../../lib/kube/client.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { Resources } from '../../../lib/kube/resources.ts';

let kube: KubeClient;
let resources: Resources;

beforeAll(async () => {
  kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! }), { timeoutMs: 5000 });
  resources = new Resources(kube);
});
afterAll(() => kube.close());

describe('Resources.resolve', () => {
  it.each([
    ['batch/v1', 'job', { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true }],
    ['batch/v1', 'JOB', { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true }],
    [
      'v1',
      'persistentvolume',
      { apiVersion: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false },
    ],
    [
      'v1',
      'PersistentVolumeClaim',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
    ],
  ])('finds %s %s through discovery, without regard to case', async (apiVersion, kind, expected) => {
    await expect(resources.resolve(apiVersion, kind)).resolves.toEqual(expected);
  });

  it.each([
    ['v1', 'Widget'],
    ['widgets.example.com/v1', 'Widget'],
  ])('refuses %s %s with a template error', async (apiVersion, kind) => {
    await expect(resources.resolve(apiVersion, kind)).rejects.toEqual(
      new TemplateError(`The Kubernetes API server serves no kind "${kind}" in ${apiVersion}.`, {
        code: 'TEMPLATE_UNKNOWN_KIND',
      }),
    );
  });
});

describe('KubeClient', () => {
  it("returns the API server's own JSON: timestamps as it wrote them, no client-side model", async () => {
    const ns = await kube
      .request<{ metadata: { creationTimestamp: string } }>({ method: 'GET', path: '/api/v1/namespaces/tenant-a' })
      .catch((e: unknown) => e);
    // The service account may not read namespaces: the refusal is a domain error, not a crash.
    expect(ns).toMatchObject({ code: 'KUBERNETES_FORBIDDEN' });
    const list = await kube.request<{ kind: string; metadata: { resourceVersion: string } }>({
      method: 'GET',
      path: '/api/v1/persistentvolumes',
      query: { limit: 1 },
    });
    expect(list.kind).toBe('PersistentVolumeList');
    expect(typeof list.metadata.resourceVersion).toBe('string');
  });
});
