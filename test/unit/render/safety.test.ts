// A template that asks for what the cluster's admission policy refuses is refused first, naming the field.
import { renderPod } from '../../../lib/render/pod.ts';
import { renderVolume } from '../../../lib/render/volumes.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { realTemplates, record, seedTemplates } from '../../fixtures/tenants.ts';
import { unsafeSpecs } from '../../fixtures/unsafe-pod-specs.ts';

const settings = { activeDeadlineSeconds: 600, backoffLimit: 1, retentionSeconds: 3600 };
const input = { cmd: 'true', vols: [{ pvc: 'a', mount: '/src' }] };
const id = '5c88a9ec5b6c2e3c4a3b2dff';
const tenantWith = (templates: Record<string, unknown>) => TenantSchema.parse(record(id, 'tenant-a', { templates: { ...realTemplates, ...templates } }));
const asPod = (spec: object) => tenantWith({ pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'job-{}-{}' }, spec } });
const asJob = (spec: object) => tenantWith({ pod: { ...seedTemplates.pod, spec: { template: { spec } } } });

function refusal(render: () => unknown): unknown {
  try {
    render();
  } catch (err) {
    const e = err as { name: string; code: string; details: unknown; message: string };
    return { name: e.name, code: e.code, details: e.details, message: e.message };
  }
  return 'rendered';
}

describe('a pod template outside the safe profile of a copy', () => {
  it.each(unsafeSpecs.map((s) => [s.attack, s] as const))('that %s is refused with 422 naming the field, as a Pod and as a Job', (_attack, unsafe) => {
    for (const [tenant, at] of [
      [asPod(unsafe.spec), 'spec'],
      [asJob(unsafe.spec), 'spec.template.spec'],
    ] as const) {
      expect(refusal(() => renderPod(tenant, input, 'tenant-a', settings))).toEqual({
        name: 'TemplateError',
        code: 'TEMPLATE_UNSAFE',
        details: [{ field: `${at}.${unsafe.field}`, message: expect.any(String) }],
        message: expect.stringContaining(`${at}.${unsafe.field} (`),
      });
    }
  });

  it('names every unsafe field at once', () => {
    const tenant = asPod({ ...unsafeSpecs[0]!.spec, hostNetwork: true });
    expect(refusal(() => renderPod(tenant, input, 'tenant-a', settings))).toMatchObject({
      code: 'TEMPLATE_UNSAFE',
      details: [{ field: 'spec.hostNetwork' }, { field: 'spec.volumes[0].hostPath' }],
    });
  });

  it('leaves the real record and the seeds alone, and never mounts a token', () => {
    for (const tenant of [tenantWith({}), tenantWith({ pod: seedTemplates.pod })]) {
      const made = renderPod(tenant, input, 'tenant-a', settings) as { kind: string; spec: any };
      const spec = made.kind.toLowerCase() === 'job' ? made.spec.template.spec : made.spec;
      expect(spec.automountServiceAccountToken).toBe(false);
    }
  });
});

describe('a pv template on the node instead of the NFS server', () => {
  it.each(['hostPath', 'local'])('with spec.%s is refused with 422 naming it', (source) => {
    const pv = realTemplates.pv as { spec: object };
    const tenant = tenantWith({ pv: { ...pv, spec: { ...pv.spec, [source]: { path: '/' } } } });
    expect(
      refusal(() =>
        renderVolume(
          tenant,
          { tenant: id, username: 'u', tag: 'default', path: 'tenant-a' },
          { server: 'nfs', prefix: '/exports/', tenantScope: true },
          'tenant-a',
        ),
      ),
    ).toEqual({
      name: 'TemplateError',
      code: 'TEMPLATE_UNSAFE',
      details: [{ field: `spec.${source}`, message: 'volumes on the NFS server, never on a node' }],
      message: `Tenant ${id}'s "pv" template asks for what the service never makes: spec.${source} (volumes on the NFS server, never on a node).`,
    });
  });
});
