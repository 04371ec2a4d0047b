import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NotFoundError } from '../../../lib/errors.ts';
import { fileTenantSource } from '../../../lib/tenants/file-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'tenants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileTenantSource', () => {
  it('finds the demo tenant in the shipped tenants.local.json', async () => {
    const tenant = await fileTenantSource(join(import.meta.dirname, '../../../tenants.local.json'))(
      '5c88a9ec5b6c2e3c4a3b2d1f',
    );
    expect(tenant).toMatchObject({ id: '5c88a9ec5b6c2e3c4a3b2d1f', namespace: 'demo-university' });
    expect(Object.keys(tenant.resources?.templates ?? {}).sort()).toEqual(['match_pvc', 'pod', 'pv', 'pvc']);
  });

  it('answers an unknown id with TENANT_NOT_FOUND', async () => {
    const file = join(dir, 'one.json');
    writeFileSync(file, JSON.stringify({ tenants: [{ id: 'a' }] }));
    await expect(fileTenantSource(file)('b')).rejects.toEqual(
      new NotFoundError('No tenant b.', { code: 'TENANT_NOT_FOUND' }),
    );
  });

  it('reports a missing or malformed file as a configuration error', async () => {
    await expect(fileTenantSource(join(dir, 'missing.json'))('a')).rejects.toBeInstanceOf(ConfigError);
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"tenants": [{"name": "no id"}]}');
    await expect(fileTenantSource(file)('a')).rejects.toThrow(/TENANTS_FILE .*bad.json cannot be used/);
  });
});
