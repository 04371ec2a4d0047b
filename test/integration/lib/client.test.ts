// The Kubernetes client's TLS and credentials against the real local API server, and its answer to a peer that speaks
// HTTPS but not JSON: each failure is the error the contract names, never "cannot be reached" or a 500.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { KubeClient } from '../../../lib/kube/client.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { createPki } from '../../../tools/cluster/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'moop-client-'));
const otherDir = mkdtempSync(join(tmpdir(), 'moop-other-ca-'));
const other = createPki(otherDir); // a CA the API server's certificate is not from
afterAll(() => {
  for (const d of [dir, otherDir]) rmSync(d, { recursive: true, force: true });
});
/** The parts of a kubeconfig these tests change. */
interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
}
const service = JSON.parse(
  JSON.stringify(load(readFileSync(process.env.MOOP_TEST_SERVICE_KUBECONFIG!, 'utf8'))),
) as Kubeconfig;
const token = service.users[0]!.user.token as string;

/** A kubeconfig like the service's, with cluster and user fields changed, as a loaded client. */
function client(cluster: Record<string, unknown>, user: Record<string, unknown> = { token }): KubeClient {
  const file = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  const kubeconfig = structuredClone(service);
  kubeconfig.clusters[0]!.cluster = { ...kubeconfig.clusters[0]!.cluster, ...cluster };
  kubeconfig.users[0]!.user = user;
  writeFileSync(file, JSON.stringify(kubeconfig)); // JSON is YAML: the loader reads it as a kubeconfig
  return new KubeClient(loadKubeconfig({ file }), { timeoutMs: 4000 });
}

const listVolumes = (kube: KubeClient) =>
  kube.request({ method: 'GET', path: '/api/v1/persistentvolumes', query: { limit: 1 } }).then(
    () => 'ok',
    (e: { code?: string; message?: string }) => e,
  );
const otherCa = Buffer.from(readFileSync(other.caCert)).toString('base64');

describe('TLS to the API server', () => {
  it("refuses a server whose certificate is not from the kubeconfig's CA, as a configuration error", async () => {
    expect(await listVolumes(client({ 'certificate-authority-data': otherCa }))).toMatchObject({
      code: 'KUBERNETES_TLS_FAILED',
      message: expect.stringMatching(
        /^TLS verification of the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/,
      ),
    });
  });

  it('refuses a server whose certificate does not name tls-server-name', async () => {
    expect(await listVolumes(client({ 'tls-server-name': 'not-the-api-server.example' }))).toMatchObject({
      code: 'KUBERNETES_TLS_FAILED',
      message: expect.stringContaining('ERR_TLS_CERT_ALTNAME_INVALID'),
    });
  });

  it('checks the certificate against tls-server-name instead of the URL host when it is given', async () => {
    expect(await listVolumes(client({ 'tls-server-name': 'kubernetes.default.svc' }))).toBe('ok');
  });

  it('skips verification only where the kubeconfig says insecure-skip-tls-verify', async () => {
    const { 'certificate-authority-data': _ca, ...cluster } = service.clusters[0]!.cluster;
    const file = join(dir, 'kubeconfig-insecure');
    writeFileSync(
      file,
      JSON.stringify({
        ...service,
        clusters: [{ ...service.clusters[0], cluster: { ...cluster, 'insecure-skip-tls-verify': true } }],
      }),
    );
    expect(await listVolumes(new KubeClient(loadKubeconfig({ file }), { timeoutMs: 4000 }))).toBe('ok');
  });
});

describe('credentials', () => {
  it('says to rotate a token the API server rejects (401), and re-reads a token file as soon as it changes', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, token);
    const kube = client({}, { tokenFile });
    expect(await listVolumes(kube)).toBe('ok');

    writeFileSync(tokenFile, 'a-revoked-token');
    expect(await listVolumes(kube)).toMatchObject({
      code: 'KUBERNETES_CREDENTIALS_REJECTED',
      message: expect.stringMatching(
        /^The Kubernetes API server rejected the service's credentials \(expired or revoked\): rotate the kubeconfig/,
      ),
    });

    writeFileSync(tokenFile, token);
    expect(await listVolumes(kube)).toBe('ok');
  });

  it('says the token has expired, and when, with its own code, where the refused token is a JWT past its exp', async () => {
    const expiredAt = Math.floor(Date.parse('2026-01-31T12:00:00Z') / 1000);
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expired = `${part({ alg: 'RS256', kid: 'gone' })}.${part({ sub: 'system:serviceaccount:moop-system:moop-resource-service', exp: expiredAt })}.${Buffer.from('sig').toString('base64url')}`;

    expect(await listVolumes(client({}, { token: expired }))).toMatchObject({
      code: 'KUBERNETES_TOKEN_EXPIRED',
      message:
        "The service's Kubernetes token expired at 2026-01-31T12:00:00.000Z: make a new one and put it in the kubeconfig (or its secret); README, Deploying, step 1.",
    });
  });
});

describe('an HTTPS peer that does not answer JSON', () => {
  let peer: Server;
  let url: string;
  beforeAll(async () => {
    mkdirSync(join(dir, 'peer'));
    const pki = createPki(join(dir, 'peer'));
    peer = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
      if (req.url?.startsWith('/empty')) return void res.writeHead(200).end();
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>');
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(peer.address() as { port: number }).port}`;
    writeFileSync(join(dir, 'peer-ca.crt'), readFileSync(pki.caCert));
  });
  afterAll(() => new Promise<void>((r) => peer.close(() => r())));

  it.each([
    [
      'an HTML page',
      '/api/v1/persistentvolumes',
      'with something that is not JSON: "<html><body>Welcome to nginx!</body></html>".',
    ],
    ['an empty body', '/empty', 'with something that is not JSON: "".'],
  ])('answers %s in a 2xx with a 502 naming it', async (_what, path, tail) => {
    const kube = client({
      server: url,
      'certificate-authority-data': Buffer.from(readFileSync(join(dir, 'peer-ca.crt'))).toString('base64'),
    });
    await expect(kube.request({ method: 'GET', path })).rejects.toMatchObject({
      code: 'KUBERNETES_INVALID_ANSWER',
      message: `The Kubernetes API server answered GET ${path} ${tail}`,
    });
  });
});
