// A template that asks for what the cluster's admission policy refuses is refused first, naming the field.

import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { renderPod } from '../../../lib/copies/render.ts';
import { imageAllowed, normalisedImage } from '../../../lib/copies/safety.ts';
import { realTemplates, record, seedTemplates } from '../../fixtures/tenants.ts';
import { unsafeSpecs } from '../../fixtures/unsafe-pod-specs.ts';
import { renderScope } from '../../support/scope.ts';

const input = { cmd: 'true', vols: [{ pvc: 'a', mount: '/src' }] };
const id = '5c88a9ec5b6c2e3c4a3b2dff';
const scopeWith = (templates: Record<string, unknown>) =>
  renderScope(record(id, 'tenant-a', { templates: { ...realTemplates, ...templates } }));
const asPod = (spec: object, metadata: object = {}) =>
  scopeWith({ pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job-{}-{}', ...metadata }, spec } });
const asJob = (spec: object, job: object = {}, podMetadata?: object) =>
  scopeWith({
    pod: {
      ...seedTemplates.pod,
      spec: { ...job, template: { ...(podMetadata ? { metadata: podMetadata } : {}), spec } },
    },
  });

function refusal(render: () => unknown): unknown {
  try {
    render();
  } catch (err) {
    const e = err as { name: string; code: string; details: unknown; message: string };
    return { name: e.name, code: e.code, details: e.details, message: e.message };
  }
  return 'rendered';
}

const unsafe = (field: string) => ({
  name: 'TemplateError',
  code: 'TEMPLATE_UNSAFE',
  details: [{ field, message: expect.any(String) }],
  message: expect.stringContaining(`${field} (`),
});

describe('a pod template outside the safe profile of a copy', () => {
  it.each(unsafeSpecs.map((s) => [s.attack, s] as const))(
    'that %s is refused with 422 naming the field, as a Pod and as a Job',
    (_attack, spec) => {
      expect(refusal(() => renderPod(asPod(spec.spec), input))).toEqual(unsafe(`spec.${spec.field}`));
      if (!spec.podOnly)
        expect(refusal(() => renderPod(asJob(spec.spec), input))).toEqual(unsafe(`spec.template.spec.${spec.field}`));
    },
  );

  it('names every unsafe field at once', () => {
    const scope = asPod({ ...unsafeSpecs[0]!.spec, hostNetwork: true });
    expect(refusal(() => renderPod(scope, input))).toMatchObject({
      code: 'TEMPLATE_UNSAFE',
      details: [{ field: 'spec.hostNetwork' }, { field: 'spec.volumes[0].hostPath' }],
    });
  });

  it.each([
    [
      "the hub's labels on a Pod (it would become the hub's Service's endpoint)",
      asPod(realTemplates.pod!.spec as object, { labels: { component: 'hub' } }),
      'metadata.labels.component',
    ],
    [
      "the hub's labels on a Job's pods",
      asJob(realTemplates.pod!.spec as object, {}, { labels: { app: 'jupyterhub' } }),
      'spec.template.metadata.labels.app',
    ],
    ['five pods at once', asJob(realTemplates.pod!.spec as object, { parallelism: 5 }), 'spec.parallelism'],
    ['five completions', asJob(realTemplates.pod!.spec as object, { completions: 5 }), 'spec.completions'],
    ['fifty retries', asJob(realTemplates.pod!.spec as object, { backoffLimit: 50 }), 'spec.backoffLimit'],
    [
      'indexed completions',
      asJob(realTemplates.pod!.spec as object, { completionMode: 'Indexed' }),
      'spec.completionMode',
    ],
    [
      "a selector of the hub's pods",
      asJob(realTemplates.pod!.spec as object, { manualSelector: true }),
      'spec.manualSelector',
    ],
    [
      'a Job past any deadline',
      asJob(realTemplates.pod!.spec as object, { activeDeadlineSeconds: 10_000_000 }),
      'spec.activeDeadlineSeconds',
    ],
    [
      'a Job that ignores its failures (unlimited retries)',
      asJob(realTemplates.pod!.spec as object, { podFailurePolicy: { rules: [] } }),
      'spec.podFailurePolicy',
    ],
    ['a Job suspended for ever', asJob(realTemplates.pod!.spec as object, { suspend: true }), 'spec.suspend'],
    [
      'a Job another controller runs',
      asJob(realTemplates.pod!.spec as object, { managedBy: 'example.com/other' }),
      'spec.managedBy',
    ],
    [
      'an Unconfined AppArmor annotation',
      asPod(realTemplates.pod!.spec as object, {
        annotations: { 'container.apparmor.security.beta.kubernetes.io/copy': 'unconfined' },
      }),
      'metadata.annotations.container.apparmor.security.beta.kubernetes.io/copy',
    ],
    [
      'a finalizer on its pods',
      asJob(realTemplates.pod!.spec as object, {}, { finalizers: ['example.com/hold'] }),
      'spec.template.metadata.finalizers',
    ],
    [
      "a name that is not the tenant's (JupyterHub's)",
      asPod(realTemplates.pod!.spec as object, { name: 'jupyter-alice' }),
      'metadata.name',
    ],
  ])('%s is refused with 422 naming the field', (_what, scope, field) => {
    expect(refusal(() => renderPod(scope, input))).toEqual(unsafe(field));
  });

  it("tolerates the taints the operator allows (COPY_TOLERATIONS), and runs the real record's image", () => {
    const tolerations = [{ key: 'moop.io/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }];
    expect(refusal(() => renderPod(asPod({ ...(realTemplates.pod!.spec as object), tolerations }), input))).toBe(
      'rendered',
    );
  });

  it('leaves the real record and the seeds alone, runs them once, never mounts a token, and confines every container', () => {
    for (const scope of [scopeWith({}), scopeWith({ pod: seedTemplates.pod })]) {
      const made = renderPod(scope, input);
      const spec = made.kind?.toLowerCase() === 'job' ? (made as V1Job).spec?.template.spec : (made as V1Pod).spec;
      expect([spec?.automountServiceAccountToken, spec?.restartPolicy, spec?.containers[0]?.securityContext]).toEqual([
        false,
        'Never',
        { capabilities: { drop: ['ALL'], add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'] } },
      ]);
    }
  });
});

describe('the images a copy may run', () => {
  const allowed = ['registry.mooplab.com:8443/', 'docker.io/library/busybox'];

  it('reads an image as the runtime does', () => {
    expect(
      ['busybox:1.28.4', 'library/busybox', 'someone/busybox', 'registry.mooplab.com:8443/x/y:z', 'localhost/x'].map(
        normalisedImage,
      ),
    ).toEqual([
      'docker.io/library/busybox:1.28.4',
      'docker.io/library/busybox',
      'docker.io/someone/busybox',
      'registry.mooplab.com:8443/x/y:z',
      'localhost/x',
    ]);
  });

  it.each([
    ['busybox:1.28.4', true],
    ['busybox', true],
    ['docker.io/library/busybox@sha256:abc', true],
    ['registry.mooplab.com:8443/gitbox/alpine-git:lastest', true],
    ['busybox-evil:1', false],
    ['someone/busybox:1', false],
    ['registry.mooplab.com:8443.evil.example/x', false],
    ['registry.mooplab.com/x', false],
    ['evil.example/docker.io/library/busybox', false],
  ])('%s: %s', (image, expected) => {
    expect(imageAllowed(image, allowed)).toBe(expected);
  });
});
