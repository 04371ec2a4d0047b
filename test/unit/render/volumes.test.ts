import { TemplateError } from '../../../lib/errors.ts';
import { claimRefs, renderClaim, renderVolume, volumeRef } from '../../../lib/render/volumes.ts';
import { TenantSchema } from '../../../lib/tenants/tenant.ts';
import { seedTemplates, tenants } from '../../fixtures/tenants.ts';

const tenant = TenantSchema.parse(tenants.a);
const nfs = { server: '10.0.0.2', prefix: '/exports/moop', tenantScope: true };
const key = { tenant: tenant.id, username: 'alice', tag: 'default' };
const owner = { 'app.kubernetes.io/managed-by': 'moop-resource-service', 'moop.io/tenant': tenant.id, 'moop.io/user': 'alice', 'moop.io/tag': 'default' };
const raw = { 'moop.io/tenant': tenant.id, 'moop.io/user': 'alice', 'moop.io/tag': 'default' };

describe('renderVolume', () => {
  it("fills the seeds' pv template in order, drops its namespace and reserves it for the user's claim", () => {
    expect(renderVolume(tenant, { ...key, path: 'tenant-a/courses/ds101' }, nfs, 'tenant-a')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: `pv-${tenant.id}-alice-default`, labels: { pv: `pv-${tenant.id}-alice-default`, ...owner }, annotations: raw },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '100Mi' },
        nfs: { server: '10.0.0.2', path: '/exports/moop/tenant-a/courses/ds101' },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'tenant-a', name: `pvc-${tenant.id}-alice-default` },
      },
    });
  });

  it('normalises the path inside the prefix', () => {
    expect(renderVolume(tenant, { ...key, path: './tenant-a//b/' }, nfs, 'tenant-a').spec?.nfs?.path).toBe('/exports/moop/tenant-a/b/');
  });

  it("keeps the volume in the tenant's own folder: its namespace or below", () => {
    for (const path of ['tenant-a', 'tenant-a/', 'tenant-a/alice', './tenant-a/x/./y']) {
      expect(renderVolume(tenant, { ...key, path }, nfs, 'tenant-a').spec?.nfs?.path).toMatch(/^\/exports\/moop\/tenant-a(\/|$)/);
    }
    for (const path of ['alice', 'tenant-b/alice', 'tenant-ab', 'tenant-a-evil/x', './other/tenant-a']) {
      expect(() => renderVolume(tenant, { ...key, path }, nfs, 'tenant-a')).toThrow(
        expect.objectContaining({
          name: 'BadRequestError',
          code: 'PATH_OUTSIDE_TENANT_FOLDER',
          message: 'path must be the tenant\'s folder "tenant-a" or lie below it ("tenant-a/..."): a tenant\'s volumes stay in its own NFS folder.',
        }),
      );
    }
  });

  it('puts the volume anywhere under the prefix where the deployment lifts the rule (NFS_TENANT_SCOPE=false)', () => {
    expect(renderVolume(tenant, { ...key, path: 'courses/ds101' }, { ...nfs, tenantScope: false }, 'tenant-a').spec?.nfs?.path).toBe(
      '/exports/moop/courses/ds101',
    );
  });

  it("leaves the tenant's template as it was", () => {
    const before = JSON.stringify(tenant);
    renderVolume(tenant, { ...key, path: 'tenant-a/x' }, nfs, 'tenant-a');
    expect(JSON.stringify(tenant)).toBe(before);
  });

  it('refuses a template that would put the volume outside the prefix', () => {
    const odd = TenantSchema.parse({
      ...tenants.a,
      resources: { templates: { ...seedTemplates, pv: { ...seedTemplates.pv, spec: { nfs: { server: '{}', path: '/elsewhere/{}{}' } } } } },
    });
    expect(() => renderVolume(odd, { ...key, path: 'tenant-a/x' }, nfs, 'tenant-a')).toThrow(TemplateError);
  });

  it('refuses a pv template that makes something else', () => {
    const odd = TenantSchema.parse({ ...tenants.a, resources: { templates: { ...seedTemplates, pv: { ...seedTemplates.pv, kind: 'ConfigMap' } } } });
    expect(() => renderVolume(odd, { ...key, path: 'tenant-a/x' }, nfs, 'tenant-a')).toThrow(
      /"pv" template makes a ConfigMap; this route makes PersistentVolume/,
    );
  });
});

describe('renderClaim', () => {
  it("fills the seeds' pvc template into the tenant's namespace", () => {
    expect(renderClaim(tenant, { ...key, match: false }, 'tenant-a')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `pvc-${tenant.id}-alice-default`, namespace: 'tenant-a', labels: owner, annotations: raw },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'standard', resources: { requests: { storage: '100Mi' } } },
    });
  });

  it('selects the PV of the same user and tag with match', () => {
    const claim = renderClaim(tenant, { ...key, match: true }, 'tenant-a');
    expect(claim.spec?.selector).toEqual({ matchLabels: { pv: `pv-${tenant.id}-alice-default` } });
    expect(claim.spec?.storageClassName).toBe('');
  });

  it('gives the claim and its selector the same escaped names as the volume', () => {
    const odd = { ...key, username: 'Élodie M.' };
    const volume = renderVolume(tenant, { ...odd, path: 'tenant-a/x' }, nfs, 'tenant-a');
    const claim = renderClaim(tenant, { ...odd, match: true }, 'tenant-a');
    expect(claim.spec?.selector?.matchLabels?.pv).toBe(volume.metadata?.labels?.pv);
    expect(volume.metadata?.labels?.pv).toBe(volume.metadata?.name);
    expect(volume.spec?.claimRef?.name).toBe(claim.metadata?.name);
    expect(claim.metadata?.annotations?.['moop.io/user']).toBe('Élodie M.');
  });
});

describe('names callers compute', () => {
  it('keeps pv-<id>-john.doe-default and pvc-<id>-john.doe-default as they are, label and selector included', () => {
    const john = { ...key, username: 'john.doe' };
    const volume = renderVolume(tenant, { ...john, path: 'tenant-a/x' }, nfs, 'tenant-a');
    const claim = renderClaim(tenant, { ...john, match: true }, 'tenant-a');
    expect([volume.metadata?.name, volume.metadata?.labels?.pv, volume.spec?.claimRef?.name]).toEqual([
      `pv-${tenant.id}-john.doe-default`,
      `pv-${tenant.id}-john.doe-default`,
      `pvc-${tenant.id}-john.doe-default`,
    ]);
    expect([claim.metadata?.name, claim.spec?.selector?.matchLabels?.pv]).toEqual([`pvc-${tenant.id}-john.doe-default`, `pv-${tenant.id}-john.doe-default`]);
  });

  it('keeps a long valid name (past 63 characters) but escapes its pv label, alike in volume and selector', () => {
    const long = { ...key, username: `student.${'x'.repeat(60)}` };
    const volume = renderVolume(tenant, { ...long, path: 'tenant-a/x' }, nfs, 'tenant-a');
    const claim = renderClaim(tenant, { ...long, match: true }, 'tenant-a');
    expect(volume.metadata?.name).toBe(`pv-${tenant.id}-${long.username}-default`);
    expect(volume.metadata?.labels?.pv).toHaveLength(63);
    expect(claim.spec?.selector?.matchLabels?.pv).toBe(volume.metadata?.labels?.pv);
  });
});

describe('volumeRef and claimRefs', () => {
  it('name what POST made', () => {
    expect(volumeRef(tenant, key)).toEqual({ apiVersion: 'v1', kind: 'PersistentVolume', name: `pv-${tenant.id}-alice-default` });
    expect(claimRefs(tenant, key, 'tenant-a')).toEqual([
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'tenant-a', name: `pvc-${tenant.id}-alice-default` },
    ]);
  });

  it('need a claim template', () => {
    expect(() => claimRefs(TenantSchema.parse(tenants.noTemplates), key, 'tenant-a')).toThrow(/has neither a "pvc" nor a "match_pvc" template/);
  });
});
