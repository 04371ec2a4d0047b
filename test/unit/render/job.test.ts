import { renderJob, jobRef } from '../../../lib/render/job.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { seedTemplates, tenants } from '../../fixtures/tenants.ts';

const tenant = TenantSchema.parse(tenants.a);
const settings = { activeDeadlineSeconds: 600, backoffLimit: 1, retentionSeconds: 3600 };
const owner = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant.id };

describe('renderJob', () => {
  it("fills the seed's pod template: name, command, claims, limits and retention", () => {
    const job = renderJob(tenant, { cmd: 'cp -r /src/* /dest/', vols: [{ pvc: 'a', mount: '/src', subpath: 'x' }, { pvc: 'b', mount: '/dest' }, { pvc: 'a', mount: '/also' }] }, 'tenant-a', settings);

    expect(job).toEqual({
      apiVersion: 'batch/v1',
      kind: 'job',
      metadata: { name: expect.stringMatching(/^job-5c88a9ec5b6c2e3c4a3b2d1a-[a-z2-7]{8}$/), namespace: 'tenant-a', labels: owner, annotations: { 'moop.io/tenant': tenant.id } },
      spec: {
        ttlSecondsAfterFinished: 3600,
        activeDeadlineSeconds: 600,
        backoffLimit: 1,
        template: {
          metadata: { labels: owner },
          spec: {
            containers: [
              {
                name: 'copy',
                image: 'busybox:1.28.4',
                imagePullPolicy: 'IfNotPresent',
                args: ['/bin/sh', '-c', 'cp -r /src/* /dest/'],
                volumeMounts: [
                  { name: 'moop-vol-0', mountPath: '/src', subPath: 'x' },
                  { name: 'moop-vol-1', mountPath: '/dest' },
                  { name: 'moop-vol-0', mountPath: '/also' },
                ],
              },
            ],
            restartPolicy: 'Never',
            volumes: [
              { name: 'moop-vol-0', persistentVolumeClaim: { claimName: 'a' } },
              { name: 'moop-vol-1', persistentVolumeClaim: { claimName: 'b' } },
            ],
          },
        },
      },
    });
  });

  it('keeps limits the template sets, and a TTL longer than the retention', () => {
    const custom = TenantSchema.parse({
      ...tenants.a,
      resources: { templates: { ...seedTemplates, pod: { ...seedTemplates.pod, spec: { ...(seedTemplates.pod!.spec as object), ttlSecondsAfterFinished: 7200, activeDeadlineSeconds: 60, backoffLimit: 0 } } } },
    });
    expect(renderJob(custom, { cmd: 'true', vols: [] }, 'tenant-a', settings).spec).toMatchObject({ ttlSecondsAfterFinished: 7200, activeDeadlineSeconds: 60, backoffLimit: 0 });
  });

  it('inserts the command literally, holes and quotes included', () => {
    const job = renderJob(tenant, { cmd: `echo '{}' "$HOME"; ls`, vols: [] }, 'tenant-a', settings);
    expect(job.spec?.template.spec?.containers[0]?.args).toEqual(['/bin/sh', '-c', `echo '{}' "$HOME"; ls`]);
  });

  it('gives every Job its own name', () => {
    const names = new Set(Array.from({ length: 50 }, () => renderJob(tenant, { cmd: 'true', vols: [] }, 'tenant-a', settings).metadata?.name));
    expect(names.size).toBe(50);
  });

  it('keeps names within 63 characters for the longest tenant id', () => {
    const long = TenantSchema.parse(tenants.longId);
    expect(renderJob(long, { cmd: 'true', vols: [] }, 'tenant-a', settings).metadata?.name).toMatch(/^job-long-x{43}-[a-z2-7]{10}$/);
  });

  it('refuses a pod template that makes something else than a Job', () => {
    expect(() => renderJob(TenantSchema.parse(tenants.wrongPodKind), { cmd: 'true', vols: [] }, 'tenant-a', settings)).toThrow(/this route makes Job/);
  });
});

describe('jobRef', () => {
  it('names the Job with the template\'s apiVersion and kind', () => {
    expect(jobRef(tenant, 'job-x', 'tenant-a')).toEqual({ apiVersion: 'batch/v1', kind: 'job', name: 'job-x', namespace: 'tenant-a' });
  });
});
