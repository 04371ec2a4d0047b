// EKS without a stored token: the service mints its token from its IAM role, and the local API server authenticates
// it as EKS does, through a token webhook that calls STS (moto, behind AWS's signature check) with the presigned URL
// inside the token and maps the role to the service's group by an access entry (test/fixtures/eks.ts).

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createHandler as deleteClaim } from '../../../functions/volumes/pvcs/delete.ts';
import { createHandler as createClaim } from '../../../functions/volumes/pvcs/post.ts';
import { depsFrom } from '../../../lib/app/deps.ts';
import { loadConfig } from '../../../lib/config/config.ts';
import { ConfigError } from '../../../lib/errors.ts';
import { KubeClient } from '../../../lib/kube/client.ts';
import { eksClusterAccess } from '../../../lib/kube/eks-cluster.ts';
import { mintEksToken } from '../../../lib/kube/eks-token.ts';
import { loadKubeconfig } from '../../../lib/kube/kubeconfig.ts';
import { freePort, probe } from '../../../tools/cluster/processes.ts';
import { httpEvent, invokeHttp } from '../../../tools/lambda.ts';
import { projectRoot } from '../../../tools/offline.ts';
import { eksClusterId, serviceRoleArn, unmappedRoleArn } from '../../fixtures/eks.ts';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer } from '../../support/answers.ts';
import { until } from '../../support/cluster.ts';

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken: string };
const region = 'eu-west-1';
const dir = mkdtempSync(join(tmpdir(), 'moop-eks-'));
const local = loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! });
const saved = { ...process.env };
let service: Credentials;
let unmapped: Credentials;

async function assume(roleArn: string): Promise<Credentials> {
  const sts = new STSClient({
    endpoint: process.env.MOOP_TEST_STS_URL,
    region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'moop-resource-service-fn' })))
    .Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

/** The kubeconfig `aws eks update-kubeconfig --name <cluster>` writes, pointing at the local API server. */
function eksKubeconfig(cluster: string): string {
  const file = join(dir, `kubeconfig-${cluster}`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: `arn:aws:eks:${region}:123456789012:cluster/${cluster}`,
          cluster: { server: local.server, 'certificate-authority-data': local.ca!.toString('base64') },
        },
      ],
      users: [
        {
          name: `arn:aws:eks:${region}:123456789012:cluster/${cluster}`,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: 'aws',
              args: ['--region', region, 'eks', 'get-token', '--cluster-name', cluster, '--output', 'json'],
            },
          },
        },
      ],
      contexts: [
        {
          name: cluster,
          context: {
            cluster: `arn:aws:eks:${region}:123456789012:cluster/${cluster}`,
            user: `arn:aws:eks:${region}:123456789012:cluster/${cluster}`,
          },
        },
      ],
      'current-context': cluster,
    }),
  );
  return file;
}

const client = (cluster: string, credentials: Credentials): KubeClient =>
  new KubeClient(loadKubeconfig({ file: eksKubeconfig(cluster) }), {
    timeoutMs: 5000,
    eks: { credentials: async () => credentials },
  });

const whoAmI = (kube: KubeClient) =>
  kube.request<{ status: { userInfo: { username: string; groups: string[] } } }>({
    method: 'POST',
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });

beforeAll(async () => {
  [service, unmapped] = await Promise.all([assume(serviceRoleArn), assume(unmappedRoleArn)]);
});

afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('EKS tokens minted from the function role', () => {
  it("are signed exactly as `aws eks get-token` signs them (botocore, the AWS CLI's own signer), for the same keys and time", async () => {
    const at = new Date('2026-11-22T09:30:00Z');
    const ours = new URL(
      Buffer.from(
        (
          await mintEksToken({ cluster: eksClusterId, region }, { credentials: async () => service, now: () => at })
        ).slice('k8s-aws-v1.'.length),
        'base64url',
      ).toString(),
    );
    // What awscli/customizations/eks/get_token.py does: a presigned GetCallerIdentity with the header added before
    // signing.
    const script = `
import base64, datetime, sys
from unittest import mock
import botocore.session
key, secret, token, cluster, region = sys.argv[1:]
sts = botocore.session.get_session().create_client('sts', region_name=region, endpoint_url=f'https://sts.{region}.amazonaws.com',
    aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
def keep(params, context, **kwargs):
    context['eks_cluster'] = params.pop('x-k8s-aws-id')
def header(request, **kwargs):
    request.headers['x-k8s-aws-id'] = request.context['eks_cluster']
sts.meta.events.register('provide-client-params.sts.GetCallerIdentity', keep)
sts.meta.events.register('before-sign.sts.GetCallerIdentity', header)
with mock.patch('botocore.auth.get_current_datetime', return_value=datetime.datetime(2026, 11, 22, 9, 30, 0)):
    print(sts.generate_presigned_url('get_caller_identity', Params={'x-k8s-aws-id': cluster}, ExpiresIn=60, HttpMethod='GET'))
`;
    const theirs = new URL(
      execFileSync(
        join(projectRoot, '.local/venv/bin/python'),
        ['-c', script, service.accessKeyId, service.secretAccessKey, service.sessionToken, eksClusterId, region],
        { encoding: 'utf8' },
      ).trim(),
    );
    expect(ours.origin + ours.pathname).toBe(theirs.origin + theirs.pathname);
    expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(theirs.searchParams));
  });

  it("authenticate to the API server as the role's session, in the group its access entry names", async () => {
    expect((await whoAmI(client(eksClusterId, service))).status.userInfo).toEqual({
      username: 'arn:aws:sts::123456789012:assumed-role/moop-resource-service/moop-resource-service-fn',
      uid: expect.stringMatching(/^aws-iam-authenticator:123456789012:AROA/),
      groups: ['moop:resource-service', 'system:authenticated'],
    });
  });

  it('carry the routes, with no token stored anywhere: a claim is created and deleted with the kubeconfig EKS writes', async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: service.accessKeyId,
      AWS_SECRET_ACCESS_KEY: service.secretAccessKey,
      AWS_SESSION_TOKEN: service.sessionToken,
    });
    const key = 'eks-token-test-key-0001';
    const config = loadConfig({
      MOOPKEY: key,
      NAME_KEY: 'a-test-name-key-of-some-length',
      KUBECONFIG: eksKubeconfig(eksClusterId),
      NFS_SERVER: '10.0.0.2',
      NFS_PREFIX: '/exports/moop/',
      TENANTS_FILE: join(projectRoot, 'tenants.local.json'),
    });
    const deps = depsFrom(() => config);
    const body = { tenant: tenants.demo.id, username: 'eks-token' };
    const created = await invokeHttp<ClaimAnswer>(
      createClaim(deps),
      httpEvent('POST', '/service/v1/volumes/pvcs', key, { body }),
    );
    expect(created.status).toBe(201);
    expect(
      await invokeHttp(deleteClaim(deps), httpEvent('DELETE', '/service/v1/volumes/pvcs', key, { query: body })),
    ).toEqual({
      status: 200,
      body: { deleted: created.body.metadata.name },
    });
  });

  it('are held to RBAC and the admission policy like its service account: nothing outside a tenant namespace, nothing for no tenant', async () => {
    const claimIn = (namespace: string, labels: Record<string, string>) =>
      client(eksClusterId, service).request({
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
        body: {
          metadata: { name: 'eks-outside', labels },
          spec: {
            accessModes: ['ReadWriteMany'],
            storageClassName: 'standard',
            resources: { requests: { storage: '1Gi' } },
          },
        },
      });
    const managed = { 'app.kubernetes.io/managed-by': 'moop-resource-service' };
    await expect(claimIn('default', managed)).rejects.toMatchObject({ code: 'NAMESPACE_NOT_PREPARED' });
    await expect(claimIn('tenant-a', managed)).rejects.toMatchObject({
      code: 'REFUSED_BY_POLICY',
      message: expect.stringContaining('moop-resource-service-scope'),
    });
  });

  it.each([
    ['a role without an access entry', () => client(eksClusterId, unmapped)],
    ['a token signed for another cluster', () => client('moop-other', service)],
  ])('are refused for %s, with a 502 that says what to map', async (_what, make) => {
    await expect(whoAmI(make())).rejects.toMatchObject({
      name: 'UpstreamError',
      code: 'KUBERNETES_CREDENTIALS_REJECTED',
      message: expect.stringMatching(
        /^The EKS cluster moop-(local|other) did not accept the token minted from the function's IAM role: give the role an access entry in the group moop:resource-service \(README, EKS\)\.$/,
      ),
    });
  });
});

describe('an EKS cluster named in the settings (EKS_CLUSTER_NAME)', () => {
  let endpoint: string;
  let moto: ReturnType<typeof spawn>;

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn(join(projectRoot, '.local/venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: 'ignore',
    });
    endpoint = `http://127.0.0.1:${port}`;
    await until('moto to answer', async () => (await probe(`${endpoint}/moto-api/`)) !== undefined, 20_000);
    await eks().send(
      new CreateClusterCommand({
        name: 'moop-prod',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: {},
      }),
    );
  });
  afterAll(() => void moto.kill());

  const eks = (): EKSClient =>
    new EKSClient({ endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

  it('is reached at the endpoint, with the CA, that EKS describes, and its tokens are minted for it by name', async () => {
    const described = (await eks().send(new DescribeClusterCommand({ name: 'moop-prod' }))).cluster!;
    expect(await eksClusterAccess('moop-prod', eks())).toEqual({
      server: described.endpoint!.replace(/\/$/, ''),
      ca: Buffer.from(described.certificateAuthority!.data!, 'base64'),
      eks: { cluster: 'moop-prod' },
    });
  });

  it('is found by the functions from the setting alone, with the SDK finding region and endpoint in the environment', async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_EKS: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
    delete process.env.AWS_SESSION_TOKEN;
    const config = loadConfig({
      MOOPKEY: 'eks-token-test-key-0001',
      NAME_KEY: 'a-test-name-key-of-some-length',
      EKS_CLUSTER_NAME: 'moop-prod',
      NFS_SERVER: '10.0.0.2',
      NFS_PREFIX: '/exports/moop/',
    });
    const kube = await depsFrom(() => config).kube();
    expect(kube.server).toBe((await eksClusterAccess('moop-prod', eks())).server);
    await kube.close();
  });

  it('that EKS does not know is a configuration error naming it', async () => {
    await expect(eksClusterAccess('moop-gone', eks())).rejects.toThrow(ConfigError);
    await expect(eksClusterAccess('moop-gone', eks())).rejects.toThrow(
      'EKS_CLUSTER_NAME names the cluster "moop-gone", which EKS does not know in this account and region.',
    );
  });
});
