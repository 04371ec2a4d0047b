import { loadConfig } from '../../../lib/config/config.ts';
import { ConfigError } from '../../../lib/errors.ts';

const valid = {
  MOOPKEY: 'a-key-of-enough-length',
  NAME_KEY: 'a-name-key-of-enough-length',
  NFS_SERVER: '10.0.0.2',
  NFS_PREFIX: '/exports/moop/',
};

describe('loadConfig', () => {
  it('parses a minimal environment and fills in the defaults', () => {
    expect(loadConfig(valid)).toEqual({
      ...valid,
      TENANTS_FILE: 'tenants.local.json',
      SECRETS_REFRESH_SECONDS: 300,
      KUBE_TIMEOUT_MS: 8000,
      TENANT_TIMEOUT_MS: 3000,
      TENANT_CACHE_TTL_MS: 30000,
      JOB_ACTIVE_DEADLINE_SECONDS: 3600,
      JOB_MAX_ACTIVE_DEADLINE_SECONDS: 86400,
      JOB_BACKOFF_LIMIT: 2,
      CLAIM_STORAGE_CLASSES: ['standard'],
      COPY_IMAGES: ['registry.mooplab.com:8443/', 'docker.io/library/busybox'],
      JOB_RETENTION_SECONDS: 3600,
      CLEANUP_PV_POLICY: 'recycle',
      CLEANUP_PAGE_SIZE: 500,
      CLEANUP_CONCURRENCY: 16,
      NFS_TENANT_SCOPE: true,
      CLEANUP_ORPHANS: 'report',
      NOTICE_BUS: 'default',
      NOTICE_PENDING_SECONDS: 300,
      SNAPSHOT_NIGHTLY: false,
      SNAPSHOT_RETENTION_DAYS: 180,
    });
  });

  it('lifts the tenant folder rule only when NFS_TENANT_SCOPE is exactly false', () => {
    expect(loadConfig({ ...valid, NFS_TENANT_SCOPE: 'false' }).NFS_TENANT_SCOPE).toBe(false);
    expect(() => loadConfig({ ...valid, NFS_TENANT_SCOPE: 'no' })).toThrow(
      '- NFS_TENANT_SCOPE: NFS_TENANT_SCOPE must be true or false',
    );
  });

  it('treats empty values as unset, as a .env line `NAME=` means', () => {
    expect(loadConfig({ ...valid, TENANT_SERVICE_URL: '', KUBECONFIG: '' })).not.toHaveProperty('TENANT_SERVICE_URL');
  });

  it('coerces numbers from their string form', () => {
    expect(loadConfig({ ...valid, KUBE_TIMEOUT_MS: '2500' }).KUBE_TIMEOUT_MS).toBe(2500);
  });

  it('names every missing or invalid setting at once', () => {
    expect(() =>
      loadConfig({ NFS_PREFIX: 'relative/path', TENANT_SERVICE_URL: 'ftp://x', KUBE_TIMEOUT_MS: 'soon' }),
    ).toThrow(
      new ConfigError(
        [
          'Invalid configuration:',
          '- TENANT_SERVICE_URL: TENANT_SERVICE_URL must be an http(s) URL of the tenants collection',
          '- NFS_SERVER: NFS_SERVER is required: the NFS server of the volumes',
          '- NFS_PREFIX: NFS_PREFIX must be an absolute path such as /exports/moop/',
          '- KUBE_TIMEOUT_MS: Invalid input: expected number, received NaN',
          '- MOOPKEY: MOOPKEY is required: the shared key MOOP sends in the moopkey header (or MOOPKEY_SECRET_ID, deployed)',
          '- NAME_KEY: NAME_KEY is required: the secret key of escaped names, at least 16 characters, never changed (or NAME_KEY_SECRET_ID, deployed)',
        ].join('\n'),
      ),
    );
  });

  it('takes the key from a secret instead, when deployed', () => {
    const { MOOPKEY: _key, ...rest } = valid;
    expect(loadConfig({ ...rest, MOOPKEY_SECRET_ID: 'moop/resource-service/moopkey' }).MOOPKEY_SECRET_ID).toBe(
      'moop/resource-service/moopkey',
    );
  });

  it('refuses a key too short to be a secret', () => {
    expect(() => loadConfig({ ...valid, MOOPKEY: 'short' })).toThrow(/MOOPKEY must be at least 12 characters long/);
  });

  it("takes the names' key from a secret instead, when deployed", () => {
    const { NAME_KEY: _key, ...rest } = valid;
    expect(loadConfig({ ...rest, NAME_KEY_SECRET_ID: 'moop/resource-service/name-key' }).NAME_KEY_SECRET_ID).toBe(
      'moop/resource-service/name-key',
    );
    expect(() => loadConfig({ ...valid, NAME_KEY: 'short' })).toThrow(/NAME_KEY must be at least 16 characters long/);
  });

  it('reads what templates may ask for as comma-separated lists, empty entries dropped', () => {
    const config = loadConfig({
      ...valid,
      COPY_IMAGES: 'registry.example.edu/, docker.io/library/busybox,',
      COPY_TOLERATIONS: 'moop.io/real-node=true:NoSchedule,gpu=:NoExecute',
      COPY_PRIORITY_CLASSES: 'copies',
      CLAIM_STORAGE_CLASSES: 'nfs-client',
    });
    expect([
      config.COPY_IMAGES,
      config.COPY_TOLERATIONS,
      config.COPY_PRIORITY_CLASSES,
      config.CLAIM_STORAGE_CLASSES,
    ]).toEqual([
      ['registry.example.edu/', 'docker.io/library/busybox'],
      ['moop.io/real-node=true:NoSchedule', 'gpu=:NoExecute'],
      ['copies'],
      ['nfs-client'],
    ]);
  });

  it('refuses a toleration not written key=value:Effect, and a default deadline past the longest allowed', () => {
    expect(() =>
      loadConfig({ ...valid, COPY_TOLERATIONS: 'node-role:NoSchedule', JOB_ACTIVE_DEADLINE_SECONDS: '90000' }),
    ).toThrow(
      new ConfigError(
        [
          'Invalid configuration:',
          '- COPY_TOLERATIONS: each entry must be key=value:Effect, Effect one of NoSchedule, PreferNoSchedule, NoExecute',
          '- JOB_ACTIVE_DEADLINE_SECONDS: JOB_ACTIVE_DEADLINE_SECONDS must not exceed JOB_MAX_ACTIVE_DEADLINE_SECONDS',
        ].join('\n'),
      ),
    );
  });
});
