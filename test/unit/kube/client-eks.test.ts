// A client of an EKS cluster, whose token source (and signer) it imports when its first request needs a token: it
// sends a minted token, reuses it, and mints a new one after the API server refused one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../../lib/kube/client.ts';
import { createPki } from '../../../tools/cluster/pki.ts';

const dir = mkdtempSync(join(tmpdir(), 'moop-kube-client-'));
const pki = createPki(dir);
/** The Authorization header of each request, in order; the API server refuses the requests to /refuse. */
const seen: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer({ cert: readFileSync(pki.serverCert), key: readFileSync(pki.serverKey) }, (req, res) => {
    seen.push(req.headers.authorization ?? '');
    const refused = req.url === '/refuse';
    res.writeHead(refused ? 401 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(refused ? { kind: 'Status', code: 401, message: 'Unauthorized' } : { kind: 'Status' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => void seen.splice(0));

const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
});
let now = new Date('2026-11-22T10:00:00Z');
const eksClient = () =>
  new KubeClient(
    { server: url, ca: readFileSync(pki.caCert), eks: { cluster: 'moop-prod', region: 'eu-west-1' } },
    { timeoutMs: 2000, eks: { credentials, now: () => now } },
  );
/** The presigned STS URL inside a bearer token. */
const presigned = (authorization: string): URL =>
  new URL(Buffer.from(authorization.replace(/^Bearer k8s-aws-v1\./, ''), 'base64url').toString());

it('sends a token minted for the EKS cluster, and the same one on its next request', async () => {
  const kube = eksClient();
  await kube.request({ method: 'GET', path: '/api' });
  await kube.request({ method: 'GET', path: '/api' });
  await kube.close();
  expect(seen).toHaveLength(2);
  expect(seen[0]).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  expect(Object.fromEntries(presigned(seen[0]!).searchParams)).toMatchObject({
    Action: 'GetCallerIdentity',
    'X-Amz-Credential': 'AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request',
    'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
  });
  expect(seen[1]).toBe(seen[0]);
});

it('mints a new token after the API server refused one, and says what to map', async () => {
  const kube = eksClient();
  await expect(kube.request({ method: 'GET', path: '/refuse' })).rejects.toMatchObject({
    code: 'KUBERNETES_CREDENTIALS_REJECTED',
    message: expect.stringContaining('The EKS cluster moop-prod did not accept the token'),
  });
  // A second later: the new token's signing time tells it apart.
  now = new Date(now.getTime() + 1000);
  await kube.request({ method: 'GET', path: '/api' });
  await kube.close();
  expect(seen[1]).toMatch(/^Bearer k8s-aws-v1\./);
  expect(presigned(seen[1]!).searchParams.get('X-Amz-Date')).toBe('20261122T100001Z');
});

it('sends a plain token as it is, with no EKS cluster', async () => {
  const kube = new KubeClient(
    { server: url, ca: readFileSync(pki.caCert), token: 'a-plain-token' },
    { timeoutMs: 2000 },
  );
  await kube.request({ method: 'GET', path: '/api' });
  await kube.close();
  expect(seen).toEqual(['Bearer a-plain-token']);
});
