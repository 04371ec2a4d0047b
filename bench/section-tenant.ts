// What several sections make for themselves: a tenant of their own whose copies are bare Pods (a real record's
// template, busybox), and the finalizers taken off what they made, so that their namespace goes at once.
import type { KubernetesObject } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import type { KubeClient } from '../lib/kube/client.ts';
import type { Tenant } from '../lib/tenants/tenant.ts';

/** A section's tenant: an id MOOP could have given, in a namespace only that section uses, a real record's Pod. */
export function sectionTenant(template: Tenant, own: Pick<Tenant, 'id' | 'name' | 'namespace'>): Tenant {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'job-{}-{}' },
    spec: {
      containers: [
        { name: 'copy', image: 'busybox:1.28.4', imagePullPolicy: 'IfNotPresent', args: ['/bin/sh', '-c', '{}'] },
      ],
      restartPolicy: 'Never',
      volumes: [],
    },
  };
  const templates = { ...(template.resources as { templates?: object } | undefined)?.templates, pod };
  return { ...template, ...own, resources: { templates } } as Tenant;
}

/** Takes the finalizers off every object at path the selector names that still has some, 32 at a time. */
export async function unfinalize(admin: KubeClient, path: string, labelSelector: string): Promise<void> {
  const limit = pLimit(32);
  const list = await admin
    .request<{ items: KubernetesObject[] }>({ method: 'GET', path, query: { labelSelector } })
    .catch(() => ({ items: [] }));
  await Promise.all(
    list.items
      .filter((o) => o.metadata?.finalizers?.length)
      .map((o) =>
        limit(() =>
          admin
            .request({
              method: 'PATCH',
              path: `${path}/${o.metadata!.name}`,
              contentType: 'application/merge-patch+json',
              body: { metadata: { finalizers: null } },
            })
            .catch(() => undefined),
        ),
      ),
  );
}
