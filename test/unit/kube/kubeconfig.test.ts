import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../lib/errors.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const doc = (
  user: object,
  cluster: object = { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') },
) => `
apiVersion: v1
kind: Config
current-context: svc@local
clusters:
- name: local
  cluster: ${JSON.stringify(cluster)}
users:
- name: svc
  user: ${JSON.stringify(user)}
contexts:
- name: other
  context: {cluster: nowhere, user: nobody}
- name: svc@local
  context: {cluster: local, user: svc}
`;

describe('loadKubeconfig', () => {
  it('reads the current context: server, CA and token', () => {
    expect(loadKubeconfig({ yaml: doc({ token: 'abc' }) })).toEqual({
      server: 'https://127.0.0.1:6443',
      ca: Buffer.from('CA'),
      token: 'abc',
    });
  });

  it('reads client certificates and files relative to the kubeconfig', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    made.push(dir);
    writeFileSync(join(dir, 'ca.crt'), 'CA-FILE');
    writeFileSync(join(dir, 'client.key'), 'KEY-FILE');
    writeFileSync(
      join(dir, 'config'),
      doc(
        { 'client-certificate-data': b64('CERT'), 'client-key': 'client.key' },
        { server: 'https://k:6443/', 'certificate-authority': 'ca.crt' },
      ),
    );
    expect(loadKubeconfig({ file: join(dir, 'config') })).toEqual({
      server: 'https://k:6443',
      ca: Buffer.from('CA-FILE'),
      cert: Buffer.from('CERT'),
      key: Buffer.from('KEY-FILE'),
    });
  });

  it.each([
    [
      "an exec plugin other than EKS's",
      doc({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'gke-gcloud-auth-plugin' } }),
      /logs in through the exec plugin "gke-gcloud-auth-plugin", which the service does not run/,
    ],
    [
      'an aws command that is not eks get-token',
      doc({ exec: { command: 'aws', args: ['sts', 'get-session-token'] } }),
      /logs in through the exec plugin "aws"/,
    ],
    ['an auth-provider plugin', doc({ 'auth-provider': { name: 'oidc' } }), /logs in through an auth-provider plugin/],
    [
      'eks get-token assuming another role',
      doc({
        exec: {
          command: 'aws',
          args: ['eks', 'get-token', '--cluster-name', 'moop', '--role-arn', 'arn:aws:iam::1:role/admin'],
        },
      }),
      /assumes the role arn:aws:iam::1:role\/admin .* map that role to the group moop:resource-service/,
    ],
    [
      'eks get-token without a cluster',
      doc({ exec: { command: 'aws', args: ['eks', 'get-token'] } }),
      /runs aws without naming the EKS cluster/,
    ],
    ['no credentials', doc({}), /has neither a token nor a client certificate and key/],
    [
      'a plain-http server',
      doc({ token: 'x' }, { server: 'http://k:8080' }),
      /the API server must be an https:\/\/ URL/,
    ],
    ['YAML that is not a kubeconfig', 'clusters: 42', /The kubeconfig is not usable/],
    [
      'no such context',
      doc({ token: 'x' }).replace('current-context: svc@local', 'current-context: gone'),
      /has no context "gone"/,
    ],
  ])('refuses %s with a configuration error', (_what, yaml, message) => {
    expect(() => loadKubeconfig({ yaml })).toThrow(ConfigError);
    expect(() => loadKubeconfig({ yaml })).toThrow(message);
  });

  it('mints EKS tokens itself for the user `aws eks update-kubeconfig` writes, with the cluster and region it names', () => {
    const yaml = doc(
      {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: 'aws',
          args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'moop-prod', '--output', 'json'],
          env: [{ name: 'AWS_PROFILE', value: 'ops' }],
        },
      },
      { server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', 'certificate-authority-data': b64('EKS-CA') },
    );
    expect(loadKubeconfig({ yaml })).toEqual({
      server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      ca: Buffer.from('EKS-CA'),
      eks: { cluster: 'moop-prod', region: 'eu-west-1' },
    });
  });

  it('reads aws-iam-authenticator logins too, leaving the region to the environment', () => {
    const yaml = doc({ exec: { command: '/usr/local/bin/aws-iam-authenticator', args: ['token', '-i', 'moop-prod'] } });
    expect(loadKubeconfig({ yaml }).eks).toEqual({ cluster: 'moop-prod', region: undefined });
  });

  it('reports a kubeconfig that is not valid YAML by line and column only, never quoting it', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2VuLXBheWxvYWQ.c2lnbmF0dXJl';
    const broken = doc({ token }).replace(
      `"token":"${token}"}`,
      `"token":"${token}"}\n  oops: [unclosed: ${token.slice(0, 12)}`,
    );
    let message = '';
    try {
      loadKubeconfig({ yaml: broken });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^The kubeconfig is not valid YAML \(line \d+, column \d+\)\.$/);
    expect(message).not.toContain(token.slice(0, 12));
  });

  it('says what to do outside a cluster without KUBECONFIG', () => {
    expect(() => loadKubeconfig({ inCluster: true })).toThrow(
      'No KUBECONFIG is set and this is not a pod with a service account: set KUBECONFIG',
    );
  });
});
