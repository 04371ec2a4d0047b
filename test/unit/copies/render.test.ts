import { podRefs, renderPod } from '../../../lib/copies/render.ts';
import { realTemplates, seedTemplates, tenants } from '../../fixtures/tenants.ts';
import { renderScope } from '../../support/scope.ts';

const podScope = renderScope(tenants.a);
const jobScope = renderScope(tenants.b);
const podTenant = podScope.tenant;
const jobTenant = jobScope.tenant;
/** What every copy container gets: no capability but what a root copy needs to keep owners, modes and times. */
const confined = { capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] } };
const ownerOf = (id: string) => ({ 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': id });
const vols = [
  { pvc: 'a', mount: '/src', subpath: 'x' },
  { pvc: 'b', mount: '/dest' },
  { pvc: 'a', mount: '/also' },
];
const mounts = [
  { name: 'moop-vol-0', mountPath: '/src', subPath: 'x' },
  { name: 'moop-vol-1', mountPath: '/dest' },
  { name: 'moop-vol-0', mountPath: '/also' },
];
const volumes = [
  { name: 'moop-vol-0', persistentVolumeClaim: { claimName: 'a' } },
  { name: 'moop-vol-1', persistentVolumeClaim: { claimName: 'b' } },
];

describe('renderPod with a real tenant record (a Pod template)', () => {
  it('makes a Pod: name, command, claims and time limit set; the Job-only ttlSecondsAfterFinished dropped', () => {
    expect(renderPod(podScope, { cmd: 'cp -r /src/* /dest/', vols })).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: expect.stringMatching(/^job-5c88a9ec5b6c2e3c4a3b2d1a-[a-z2-7]{8}$/),
        namespace: 'tenant-a',
        labels: ownerOf(podTenant.id),
        annotations: { 'moop.io/tenant': podTenant.id },
      },
      spec: {
        containers: [
          {
            args: ['/bin/sh', '-c', 'cp -r /src/* /dest/'],
            image: 'registry.mooplab.com:8443/gitbox/alpine-git:lastest',
            imagePullPolicy: 'IfNotPresent',
            name: 'copy',
            volumeMounts: mounts,
            securityContext: confined,
          },
        ],
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        activeDeadlineSeconds: 600,
        volumes,
      },
    });
  });

  it('runs once even where the template sets no restartPolicy', () => {
    const { restartPolicy: _r, ...spec } = realTemplates.pod!.spec as Record<string, unknown>;
    const custom = renderScope({
      ...tenants.a,
      resources: { templates: { ...realTemplates, pod: { ...realTemplates.pod, spec } } },
    });
    expect(renderPod(custom, { cmd: 'true', vols: [] }).spec).toMatchObject({ restartPolicy: 'Never' });
  });

  it('treats subpath "" and null as the claim root (after the request schema turned them into undefined)', () => {
    const pod = renderPod(podScope, { cmd: 'true', vols: [{ pvc: 'a', mount: '/data', subpath: undefined }] });
    expect((pod.spec as { containers: { volumeMounts: unknown[] }[] }).containers[0]!.volumeMounts).toEqual([
      { name: 'moop-vol-0', mountPath: '/data' },
    ]);
  });
});

describe('renderPod with the seeds (a Job template)', () => {
  it("fills the seed's Job template: name, command, claims, limits and retention", () => {
    expect(renderPod(jobScope, { cmd: 'cp -r /src/* /dest/', vols })).toEqual({
      apiVersion: 'batch/v1',
      kind: 'job',
      metadata: {
        name: expect.stringMatching(/^job-5c88a9ec5b6c2e3c4a3b2d1b-[a-z2-7]{8}$/),
        namespace: 'tenant-b',
        labels: ownerOf(jobTenant.id),
        annotations: { 'moop.io/tenant': jobTenant.id },
      },
      spec: {
        ttlSecondsAfterFinished: 3600,
        activeDeadlineSeconds: 600,
        backoffLimit: 1,
        template: {
          metadata: { labels: ownerOf(jobTenant.id) },
          spec: {
            containers: [
              {
                name: 'copy',
                image: 'busybox:1.28.4',
                imagePullPolicy: 'IfNotPresent',
                args: ['/bin/sh', '-c', 'cp -r /src/* /dest/'],
                volumeMounts: mounts,
                securityContext: confined,
              },
            ],
            restartPolicy: 'Never',
            automountServiceAccountToken: false,
            // The Job's deadline on its pod too: a pod its Job left behind still ends.
            activeDeadlineSeconds: 600,
            volumes,
          },
        },
      },
    });
  });

  it('keeps limits the template sets, and a TTL longer than the retention', () => {
    const custom = renderScope({
      ...tenants.b,
      resources: {
        templates: {
          ...seedTemplates,
          pod: {
            ...seedTemplates.pod,
            spec: {
              ...(seedTemplates.pod!.spec as object),
              ttlSecondsAfterFinished: 7200,
              activeDeadlineSeconds: 60,
              backoffLimit: 0,
            },
          },
        },
      },
    });
    expect(renderPod(custom, { cmd: 'true', vols: [] }).spec).toMatchObject({
      ttlSecondsAfterFinished: 7200,
      activeDeadlineSeconds: 60,
      backoffLimit: 0,
    });
  });

  it('refuses a Job template without containers, naming where they belong', () => {
    expect(() => renderPod(renderScope(tenants.noContainers), { cmd: 'true', vols: [] })).toThrow(
      'Tenant 5c88a9ec5b6c2e3c4a3b2d27\'s "pod" template has no spec.template.spec.containers[0].',
    );
  });
});

describe('renderPod, either kind', () => {
  it.each([
    ['Pod', podTenant],
    ['Job', jobTenant],
  ])('inserts the command literally into a %s, holes and quotes included', (_kind, tenant) => {
    const made = renderPod(renderScope(tenant), { cmd: `echo '{}' "$HOME"; ls`, vols: [] });
    const spec =
      'template' in (made.spec ?? {}) ? (made.spec as { template: { spec: unknown } }).template.spec : made.spec;
    expect((spec as { containers: { args: string[] }[] }).containers[0]!.args).toEqual([
      '/bin/sh',
      '-c',
      `echo '{}' "$HOME"; ls`,
    ]);
  });

  it('gives every object its own name', () => {
    const names = new Set(
      Array.from({ length: 50 }, () => renderPod(podScope, { cmd: 'true', vols: [] }).metadata?.name),
    );
    expect(names.size).toBe(50);
  });

  it('refuses a pod template that makes something else than a Pod or a Job', () => {
    expect(() => renderPod(renderScope(tenants.wrongPodKind), { cmd: 'true', vols: [] })).toThrow(
      'Tenant 5c88a9ec5b6c2e3c4a3b2d26\'s "pod" template makes a deployment; this route makes Pod or Job.',
    );
  });

  it('leaves the tenant record as it was', () => {
    const before = JSON.stringify(podTenant);
    renderPod(podScope, { cmd: 'true', vols });
    expect(JSON.stringify(podTenant)).toBe(before);
  });
});

describe('podRefs', () => {
  it("names the template's kind first, then the other, so Pods and Jobs made before a template changed are found", () => {
    expect(podRefs(podScope, 'job-x')).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'job-x', namespace: 'tenant-a' },
      { apiVersion: 'batch/v1', kind: 'Job', name: 'job-x', namespace: 'tenant-a' },
    ]);
    expect(podRefs(jobScope, 'job-x')).toEqual([
      { apiVersion: 'batch/v1', kind: 'job', name: 'job-x', namespace: 'tenant-b' },
      { apiVersion: 'v1', kind: 'Pod', name: 'job-x', namespace: 'tenant-b' },
    ]);
  });
});

describe('renderPod with an Idempotency-Key', () => {
  it('names the copy after the key and the tenant, and records hashes of the key and of the request, never the key', () => {
    const input = { cmd: 'true', vols: [] };
    const [first, again] = [renderPod(podScope, input, 'k-1'), renderPod(podScope, input, 'k-1')];
    const other = renderPod(jobScope, input, 'k-1');

    expect(first.metadata?.name).toBe(again.metadata?.name);
    expect(first.metadata?.name).toMatch(/^job-5c88a9ec5b6c2e3c4a3b2d1a-[a-z2-7]{8}$/);
    expect(other.metadata?.name?.endsWith(first.metadata!.name!.slice(-8))).toBe(false);
    expect(first.metadata?.annotations).toEqual({
      'moop.io/tenant': podTenant.id,
      'moop.io/idempotency-key': expect.stringMatching(/^[a-z2-7]{26}$/),
      'moop.io/idempotent-request': expect.stringMatching(/^[a-z2-7]{26}$/),
    });
    expect(JSON.stringify(first)).not.toContain('k-1');
  });
});
