// The EKS token's format, checked as EKS's authenticator (aws-iam-authenticator, pkg/token Verify) checks it.
import { eksTokenReuseMs, eksTokens, mintEksToken } from '../../../lib/kube/eks-token.ts';

const credentials = async () => ({
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+1',
});
const at = new Date('2026-11-22T10:00:00Z');

/** The presigned URL inside a token, as the authenticator decodes it. */
function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // unpadded base64url
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

describe('mintEksToken', () => {
  it('presigns GetCallerIdentity on the regional STS endpoint, signing the cluster name in x-k8s-aws-id', async () => {
    const token = await mintEksToken({ cluster: 'moop-prod', region: 'eu-west-1' }, { credentials, now: () => at });
    const url = decode(token);
    expect(token.length).toBeLessThanOrEqual(4096);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://sts.eu-west-1.amazonaws.com/');
    const query = Object.fromEntries(url.searchParams);
    expect(Object.keys(query).sort()).toEqual([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-Security-Token',
      'X-Amz-Signature',
      'X-Amz-SignedHeaders',
    ]);
    expect(query).toEqual({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261122/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261122T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-Security-Token': 'session/token+1',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
      'X-Amz-Signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('signs each cluster differently: a token for one cluster is not one for another', async () => {
    const sign = async (cluster: string) =>
      decode(await mintEksToken({ cluster, region: 'eu-west-1' }, { credentials, now: () => at })).searchParams.get(
        'X-Amz-Signature',
      );
    expect(await sign('moop-prod')).not.toBe(await sign('moop-test'));
  });

  it('takes the region from AWS_REGION and the endpoint from AWS_ENDPOINT_URL_STS, as the SDK does', async () => {
    const saved = { region: process.env.AWS_REGION, endpoint: process.env.AWS_ENDPOINT_URL_STS };
    process.env.AWS_REGION = 'ap-southeast-2';
    process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:5000';
    try {
      const url = decode(await mintEksToken({ cluster: 'moop' }, { credentials, now: () => at }));
      expect(url.origin).toBe('http://127.0.0.1:5000');
      expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261122/ap-southeast-2/sts/aws4_request');
    } finally {
      for (const [k, v] of [
        ['AWS_REGION', saved.region],
        ['AWS_ENDPOINT_URL_STS', saved.endpoint],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('says the credentials could not sign (unavailable), without quoting them', async () => {
    const broken = async () => {
      throw Object.assign(new Error('no role'), { name: 'CredentialsProviderError' });
    };
    await expect(mintEksToken({ cluster: 'moop', region: 'eu-west-1' }, { credentials: broken })).rejects.toMatchObject(
      {
        name: 'UnavailableError',
        code: 'KUBERNETES_TOKEN_UNAVAILABLE',
        message: "The function's AWS credentials could not sign an EKS token (CredentialsProviderError).",
      },
    );
  });
});

describe('eksTokens', () => {
  it('reuses a token for ten minutes, then mints a new one, well inside its fifteen-minute life', async () => {
    let now = at.getTime();
    const tokens = eksTokens({ cluster: 'moop', region: 'eu-west-1' }, { credentials, now: () => new Date(now) });
    const first = await tokens.get();
    now += eksTokenReuseMs - 1;
    expect(await tokens.get()).toBe(first);
    now += 1;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20261122T101000Z');
  });

  it('mints a new token after the API server refused one', async () => {
    let now = at.getTime();
    const tokens = eksTokens({ cluster: 'moop', region: 'eu-west-1' }, { credentials, now: () => new Date(now) });
    const first = await tokens.get();
    tokens.refused(first);
    await Promise.resolve();
    now += 1000;
    expect(await tokens.get()).not.toBe(first);
  });
});
