import { renderClaim } from '../../../lib/claims/render.ts';
import type { TemplateError } from '../../../lib/errors.ts';
import { claimRefs, reservationRefs, volumeRefs } from '../../../lib/volumes/key.ts';
import { renderVolume } from '../../../lib/volumes/render.ts';
import { seedTemplates, tenants } from '../../fixtures/tenants.ts';
import { nfs, renderScope } from '../../support/scope.ts';

const scope = renderScope(tenants.a);
const { tenant } = scope;
const key = { tenant: tenant.id, username: 'alice', tag: 'default' };
const owner = {
  'app.kubernetes.io/managed-by': 'moop-resource-service',
  'moop.io/tenant': tenant.id,
  'moop.io/user': 'alice',
  'moop.io/tag': 'default',
};
const raw = { 'moop.io/tenant': tenant.id, 'moop.io/user': 'alice', 'moop.io/tag': 'default' };
const names = { name: `pv-${tenant.id}-alice-default`, claimName: `pvc-${tenant.id}-alice-default` };
const withPv = (pv: Record<string, unknown>) =>
  renderScope({ ...tenants.a, resources: { templates: { ...seedTemplates, pv } } });
const volumeOf = (path: string, s = scope) => renderVolume(s, { ...key, path }, names);

describe('renderVolume', () => {
  it("fills the seeds' pv template in order, drops its namespace, keeps it forever and reserves it for the user's claim", () => {
    expect(volumeOf('tenant-a/courses/ds101')).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: {
        name: `pv-${tenant.id}-alice-default`,
        labels: { pv: `pv-${tenant.id}-alice-default`, ...owner },
        annotations: raw,
      },
      spec: {
        accessModes: ['ReadWriteMany'],
        capacity: { storage: '100Mi' },
        nfs: { server: '10.0.0.2', path: '/exports/moop/tenant-a/courses/ds101' },
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace: 'tenant-a',
          name: `pvc-${tenant.id}-alice-default`,
        },
      },
    });
  });

  it('normalises the path inside the prefix', () => {
    expect(volumeOf('./tenant-a//b/').spec?.nfs?.path).toBe('/exports/moop/tenant-a/b');
  });

  it("keeps the volume in the tenant's own folder: its namespace or below", () => {
    for (const path of ['tenant-a', 'tenant-a/', 'tenant-a/alice', './tenant-a/x/./y']) {
      expect(volumeOf(path).spec?.nfs?.path).toMatch(/^\/exports\/moop\/tenant-a(\/|$)/);
    }
    for (const path of ['alice', 'tenant-b/alice', 'tenant-ab', 'tenant-a-evil/x', './other/tenant-a']) {
      expect(() => volumeOf(path)).toThrow(
        expect.objectContaining({
          name: 'BadRequestError',
          code: 'PATH_OUTSIDE_TENANT_FOLDER',
          message:
            'path must be the tenant\'s folder "tenant-a" or lie below it ("tenant-a/..."): a tenant\'s volumes stay in its own NFS folder.',
        }),
      );
    }
  });

  it('puts the volume anywhere under the prefix where the deployment lifts the rule (NFS_TENANT_SCOPE=false)', () => {
    expect(volumeOf('courses/ds101', { ...scope, nfs: { ...nfs, tenantScope: false } }).spec?.nfs?.path).toBe(
      '/exports/moop/courses/ds101',
    );
  });

  it("leaves the tenant's template as it was", () => {
    const before = JSON.stringify(tenant);
    volumeOf('tenant-a/x');
    expect(JSON.stringify(tenant)).toBe(before);
  });

  it('refuses a pv template that makes something else', () => {
    expect(() => volumeOf('tenant-a/x', withPv({ ...seedTemplates.pv, kind: 'ConfigMap' }))).toThrow(
      /"pv" template makes a ConfigMap; this route makes PersistentVolume/,
    );
  });

  it('takes a template whose holes are written otherwise but render the same place', () => {
    const pv = {
      ...seedTemplates.pv,
      spec: { nfs: { server: '{}', path: '{}/{}' }, persistentVolumeReclaimPolicy: 'Retain' },
    };
    expect(volumeOf('tenant-a/x', withPv(pv)).spec?.nfs).toEqual({
      server: '10.0.0.2',
      path: '/exports/moop/tenant-a/x',
    });
  });
});

describe('renderClaim', () => {
  it("fills the seeds' pvc template into the tenant's namespace", () => {
    expect(renderClaim(scope, { ...key, match: false }, names.claimName)).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `pvc-${tenant.id}-alice-default`, namespace: 'tenant-a', labels: owner, annotations: raw },
      spec: {
        accessModes: ['ReadWriteMany'],
        storageClassName: 'standard',
        resources: { requests: { storage: '100Mi' } },
      },
    });
  });

  it('selects the PV of the same user and tag with match, and only a volume the service made for the tenant', () => {
    const claim = renderClaim(scope, { ...key, match: true }, names.claimName);
    expect(claim.spec?.selector).toEqual({
      matchLabels: {
        pv: `pv-${tenant.id}-alice-default`,
        'app.kubernetes.io/managed-by': 'moop-resource-service',
        'moop.io/tenant': tenant.id,
      },
    });
    expect(claim.spec?.storageClassName).toBe('');
  });

  it('gives the selector the same escaped label as the volume, and the volume the claim name of the same user', () => {
    const odd = { ...key, username: 'Élodie M.' };
    const claimName = reservationRefs(scope, odd)[0]!.name;
    const volume = renderVolume(
      scope,
      { ...odd, path: 'tenant-a/x' },
      { name: volumeRefs(scope, odd)[0]!.name, claimName },
    );
    const claim = renderClaim(scope, { ...odd, match: true }, claimName);
    expect(claim.spec?.selector?.matchLabels?.pv).toBe(volume.metadata?.labels?.pv);
    expect(volume.spec?.claimRef?.name).toBe(claim.metadata?.name);
    expect(claim.metadata?.annotations?.['moop.io/user']).toBe('Élodie M.');
  });
});

describe('names callers compute', () => {
  it('keeps pv-<id>-john.doe-default and pvc-<id>-john.doe-default as they are, label and selector included', () => {
    const john = { ...key, username: 'john.doe' };
    const [volumeRef] = volumeRefs(scope, john);
    const [claimRef] = reservationRefs(scope, john);
    const volume = renderVolume(
      scope,
      { ...john, path: 'tenant-a/x' },
      { name: volumeRef!.name, claimName: claimRef!.name },
    );
    const claim = renderClaim(scope, { ...john, match: true }, claimRef!.name);
    expect([volume.metadata?.name, volume.metadata?.labels?.pv, volume.spec?.claimRef?.name]).toEqual([
      `pv-${tenant.id}-john.doe-default`,
      `pv-${tenant.id}-john.doe-default`,
      `pvc-${tenant.id}-john.doe-default`,
    ]);
    expect([claim.metadata?.name, claim.spec?.selector?.matchLabels?.pv]).toEqual([
      `pvc-${tenant.id}-john.doe-default`,
      `pv-${tenant.id}-john.doe-default`,
    ]);
  });

  it('keeps a long valid name (past 63 characters) but escapes its pv label, alike in volume and selector', () => {
    const long = { ...key, username: `student.${'x'.repeat(60)}` };
    const claimName = reservationRefs(scope, long)[0]!.name;
    const volume = renderVolume(
      scope,
      { ...long, path: 'tenant-a/x' },
      { name: volumeRefs(scope, long)[0]!.name, claimName },
    );
    const claim = renderClaim(scope, { ...long, match: true }, claimName);
    expect(volume.metadata?.name).toBe(`pv-${tenant.id}-${long.username}-default`);
    expect(volume.metadata?.labels?.pv).toHaveLength(63);
    expect(claim.spec?.selector?.matchLabels?.pv).toBe(volume.metadata?.labels?.pv);
  });
});

describe('volumeRefs and claimRefs', () => {
  it('name what POST makes', () => {
    expect(volumeRefs(scope, key)).toEqual([
      { apiVersion: 'v1', kind: 'PersistentVolume', name: `pv-${tenant.id}-alice-default` },
    ]);
    expect(claimRefs(scope, key)).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: 'tenant-a',
        name: `pvc-${tenant.id}-alice-default`,
      },
    ]);
  });

  it("name an escaped name with NAME_KEY's hash first, then the plain hash it had before the key, still found", () => {
    const odd = { ...key, username: 'Élodie M.' };
    const [current, legacy] = volumeRefs(scope, odd).map((r) => r.name);
    expect(current).toMatch(new RegExp(`^pv-${tenant.id}-elodie-m-default-[a-z2-7]{10}$`));
    expect(legacy).toMatch(new RegExp(`^pv-${tenant.id}-elodie-m-default-[a-z2-7]{10}$`));
    expect(current).not.toBe(legacy);
    expect(volumeRefs({ ...scope, nameKey: 'another-key-of-some-length' }, odd)[1]!.name).toBe(legacy);
    expect(claimRefs(scope, odd).map((r) => r.name)).toHaveLength(2);
  });

  it('need a claim template', () => {
    expect(() => claimRefs(renderScope(tenants.noTemplates), key)).toThrow(
      /has neither a "pvc" nor a "match_pvc" template/,
    );
  });
});

describe('pv templates that decide what only the service decides', () => {
  const refusal = (pv: Record<string, unknown>) => {
    try {
      volumeOf('tenant-a/x', withPv({ ...seedTemplates.pv, ...pv }));
    } catch (err) {
      const e = err as TemplateError;
      return { name: e.name, code: e.code, details: e.details };
    }
    return 'rendered';
  };
  const spec = (changes: Record<string, unknown>) => ({ spec: { ...(seedTemplates.pv!.spec as object), ...changes } });
  const unsafe = (field: string) => ({
    name: 'TemplateError',
    code: 'TEMPLATE_UNSAFE',
    details: [{ field, message: expect.any(String) }],
  });

  it.each([
    [
      'Recycle: the cluster deletes everything under the path when the claim goes',
      spec({ persistentVolumeReclaimPolicy: 'Recycle' }),
      'spec.persistentVolumeReclaimPolicy',
    ],
    ['Delete', spec({ persistentVolumeReclaimPolicy: 'Delete' }), 'spec.persistentVolumeReclaimPolicy'],
    ['the NFS root', spec({ nfs: { server: '{}', path: '{}' } }), 'spec.nfs.path'],
    ["another school's folder", spec({ nfs: { server: '{}', path: '{}tenant-b' } }), 'spec.nfs.path'],
    ['a path that climbs out', spec({ nfs: { server: '{}', path: '{}{}/../../tenant-b' } }), 'spec.nfs.path'],
    ['a path outside the prefix', spec({ nfs: { server: '{}', path: '/elsewhere/{}{}' } }), 'spec.nfs.path'],
    ['a foreign NFS server', spec({ nfs: { server: 'nfs.evil.example', path: '{}{}' } }), 'spec.nfs.server'],
    [
      'a CSI volume with its secret',
      spec({ csi: { driver: 'x', volumeHandle: 'y', nodePublishSecretRef: { name: 's', namespace: 'kube-system' } } }),
      'spec.csi',
    ],
    ['an iSCSI volume', spec({ iscsi: { targetPortal: '10.0.0.9:3260', iqn: 'x', lun: 0 } }), 'spec.iscsi'],
    ['a hostPath', spec({ hostPath: { path: '/' } }), 'spec.hostPath'],
    ['its own claimRef', spec({ claimRef: { namespace: 'kube-system', name: 'x' } }), 'spec.claimRef'],
    ['a mount option naming another address', spec({ mountOptions: ['addr=10.9.9.9'] }), 'spec.mountOptions'],
  ])('%s is refused with 422, naming the field', (_what, pv, field) => {
    expect(refusal(pv)).toEqual(unsafe(field));
  });

  it.each([
    [
      'a mount-options annotation (another address)',
      {
        metadata: {
          ...(seedTemplates.pv!.metadata as object),
          annotations: { 'volume.beta.kubernetes.io/mount-options': 'mountaddr=203.0.113.9' },
        },
      },
      'metadata.annotations.volume.beta.kubernetes.io/mount-options',
    ],
    [
      'an owner the garbage collector would delete it with',
      { metadata: { ...(seedTemplates.pv!.metadata as object), ownerReferences: [{ kind: 'Pod', name: 'x' }] } },
      'metadata.ownerReferences',
    ],
    ['a name without the tenant id', { metadata: { name: 'hub-db-dir', labels: { pv: 'x' } } }, 'metadata.name'],
  ])('%s is refused with 422, naming the field', (_what, pv, field) => {
    const scope = withPv({ ...seedTemplates.pv, ...pv });
    const refused = () =>
      renderVolume(
        scope,
        { ...key, path: 'tenant-a/x' },
        { name: volumeRefs(scope, key)[0]!.name, claimName: names.claimName },
      );
    expect(refused).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_UNSAFE', details: [{ field, message: expect.any(String) }] }),
    );
  });

  it('takes NFS tuning and Retain', () => {
    expect(refusal(spec({ mountOptions: ['nfsvers=4.1', 'hard'], persistentVolumeReclaimPolicy: 'Retain' }))).toBe(
      'rendered',
    );
  });
});

describe('claim templates that could bind another volume', () => {
  const withClaim = (which: 'pvc' | 'match_pvc', changes: Record<string, unknown>) =>
    renderScope({
      ...tenants.a,
      resources: {
        templates: {
          ...seedTemplates,
          [which]: { ...seedTemplates[which], spec: { ...(seedTemplates[which]!.spec as object), ...changes } },
        },
      },
    });
  const refusal = (which: 'pvc' | 'match_pvc', changes: Record<string, unknown>) => {
    try {
      renderClaim(withClaim(which, changes), { ...key, match: which === 'match_pvc' }, names.claimName);
    } catch (err) {
      return (err as TemplateError).details;
    }
    return 'rendered';
  };

  it.each([
    ['pvc', 'names a volume', { volumeName: 'hostpath-pv' }, 'spec.volumeName'],
    ['match_pvc', 'names a volume', { volumeName: 'hostpath-pv' }, 'spec.volumeName'],
    [
      'pvc',
      'copies another volume',
      { dataSource: { kind: 'PersistentVolumeClaim', name: 'hub-db-dir' } },
      'spec.dataSource',
    ],
    [
      'pvc',
      'copies a snapshot',
      { dataSourceRef: { kind: 'VolumeSnapshot', name: 's', apiGroup: 'snapshot.storage.k8s.io' } },
      'spec.dataSourceRef',
    ],
    [
      'pvc',
      'asks for no storage class, so binds any volume that fits',
      { storageClassName: '' },
      'spec.storageClassName',
    ],
    [
      'pvc',
      'asks for a storage class the operator does not allow',
      { storageClassName: 'local-hostpath' },
      'spec.storageClassName',
    ],
  ] as const)('a %s template that %s is refused with 422', (which, _what, changes, field) => {
    expect(refusal(which, changes)).toEqual([{ field, message: expect.any(String) }]);
  });

  it.each([
    [
      'a storage-class annotation, which the volume controller reads first',
      { annotations: { 'volume.beta.kubernetes.io/storage-class': '' } },
      'metadata.annotations.volume.beta.kubernetes.io/storage-class',
    ],
    ['a finalizer', { finalizers: ['example.com/hold'] }, 'metadata.finalizers'],
  ])('a claim template with %s is refused with 422', (_what, metadata, field) => {
    const scope = renderScope({
      ...tenants.a,
      resources: {
        templates: {
          ...seedTemplates,
          pvc: { ...seedTemplates.pvc, metadata: { ...(seedTemplates.pvc!.metadata as object), ...metadata } },
        },
      },
    });
    expect(() => renderClaim(scope, { ...key, match: false }, names.claimName)).toThrow(
      expect.objectContaining({ code: 'TEMPLATE_UNSAFE', details: [{ field, message: expect.any(String) }] }),
    );
  });

  it("refuses a claim name that does not hold the tenant's id (a name of JupyterHub's own, say)", () => {
    expect(() => renderClaim(scope, { ...key, match: true }, 'hub-db-dir')).toThrow(
      expect.objectContaining({
        code: 'TEMPLATE_UNSAFE',
        details: [{ field: 'metadata.name', message: "names hold the tenant's id, its first {} hole" }],
      }),
    );
  });

  it('never lets a match template choose its selector: the service writes it', () => {
    const claim = renderClaim(
      withClaim('match_pvc', { selector: { matchLabels: { pv: 'pv-{}-victim-default' } } }),
      { ...key, match: true },
      names.claimName,
    );
    expect(claim.spec?.selector?.matchLabels).toEqual({
      pv: `pv-${tenant.id}-victim-default`,
      'app.kubernetes.io/managed-by': 'moop-resource-service',
      'moop.io/tenant': tenant.id,
    });
  });
});
