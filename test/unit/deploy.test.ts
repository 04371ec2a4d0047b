// What deploy/ tells the API server and what the service checks itself say the same: the policy's values are the
// local settings' (.env.example), and the rules written twice (in CEL and in TypeScript) hold the same lists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { loadAllYaml } from '@kubernetes/client-node';
import { loadConfig } from '../../lib/config/config.ts';
import { copyCapabilities, maxBackoffLimit } from '../../lib/copies/safety.ts';
import { nfsMountOption } from '../../lib/volumes/safety.ts';
import { policyParamsOf, shippedPolicyParams } from '../../tools/tenants.ts';

const root = join(import.meta.dirname, '../..');
const policy = readFileSync(join(root, 'deploy/admission-policy.yaml'), 'utf8');

describe('deploy/', () => {
  it("ships the policy's values of the local settings, as the service has them from .env.example", () => {
    const example = parseEnv(readFileSync(join(root, '.env.example'), 'utf8'));
    expect(shippedPolicyParams().data).toEqual(policyParamsOf(loadConfig(example)));
  });

  it('holds the same NFS mount options, capabilities and retries as the service', () => {
    expect(policy).toContain(`o.matches('${nfsMountOption.source}')`);
    expect(policy).toContain(`expression: "[${copyCapabilities.map((c) => `'${c}'`).join(', ')}]"`);
    expect(policy).toContain(`object.spec.?backoffLimit.orValue(6) <= ${maxBackoffLimit}`);
  });

  it('parses: every manifest is YAML of Kubernetes objects', () => {
    for (const file of ['rbac.yaml', 'policy-params.yaml', 'admission-policy.yaml']) {
      const objects = loadAllYaml(readFileSync(join(root, 'deploy', file), 'utf8')) as { kind?: string }[];
      expect([file, objects.every((o) => typeof o.kind === 'string')]).toEqual([file, true]);
    }
  });
});
