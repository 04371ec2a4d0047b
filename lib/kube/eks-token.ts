// EKS bearer tokens minted from the function's own IAM role, as `aws eks get-token` does: a presigned STS
// GetCallerIdentity URL that signs the cluster's name in the x-k8s-aws-id header, which EKS's authenticator calls to
// learn who the caller is. Nothing is stored: the role's credentials come from the Lambda environment.
// Only a client of an EKS cluster imports this module (client.ts, when it first needs a token), and it imports the
// credential provider only when it first needs the role's keys: a function without EKS never evaluates either.
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';
import { UnavailableError } from '../errors.ts';

/** The EKS cluster a token is for, and the region of the STS endpoint that signs it. */
export interface EksCluster {
  /** The cluster's name (or, on Outposts, its id), as `aws eks get-token --cluster-name` takes it. */
  cluster: string;
  /** Region of the STS endpoint; unset: AWS_REGION, which Lambda sets. */
  region?: string;
}

export interface EksTokenOptions {
  /** Where credentials come from; unset: the SDK's default chain (the function's role, on Lambda). */
  credentials?: AwsCredentialIdentityProvider;
  /** STS endpoint; unset: AWS_ENDPOINT_URL_STS, else the region's https://sts.<region>.amazonaws.com. */
  endpoint?: string;
  /** The clock, for tests. */
  now?: () => Date;
}

/** EKS's authenticator accepts a token for 15 minutes after its X-Amz-Date; one is reused for at most 10. */
export const eksTokenReuseMs = 10 * 60_000;

const prefix = 'k8s-aws-v1.';

/** Mints one EKS token: "k8s-aws-v1." and the presigned GetCallerIdentity URL in unpadded base64url. */
export async function mintEksToken(target: EksCluster, options: EksTokenOptions = {}): Promise<string> {
  const region = target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UnavailableError('No AWS region is known to sign the EKS token: set AWS_REGION.', {
      code: 'KUBERNETES_TOKEN_UNAVAILABLE',
    });
  const endpoint = new URL(
    options.endpoint ?? process.env.AWS_ENDPOINT_URL_STS ?? `https://sts.${region}.amazonaws.com`,
  );
  const signer = new SignatureV4({
    service: 'sts',
    region,
    credentials: options.credentials ?? roleCredentials(),
    sha256: Sha256,
  });
  let signed: HttpRequest;
  try {
    signed = await signer.presign(
      {
        method: 'GET',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port === '' ? undefined : Number(endpoint.port),
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: endpoint.host, 'x-k8s-aws-id': target.cluster },
      },
      // STS ignores the expiry (a token lives 15 minutes from its date); 60 is what every EKS client sends.
      { expiresIn: 60, signingDate: options.now?.() },
    );
  } catch (err) {
    throw new UnavailableError(`The function's AWS credentials could not sign an EKS token (${(err as Error).name}).`, {
      code: 'KUBERNETES_TOKEN_UNAVAILABLE',
      cause: err,
    });
  }
  const url = new URL(`${endpoint.protocol}//${endpoint.host}/`);
  for (const [k, v] of Object.entries(signed.query ?? {})) url.searchParams.set(k, String(v));
  return prefix + Buffer.from(url.toString()).toString('base64url');
}

/** Where a client gets its EKS tokens, and tells of one the API server refused. */
export interface EksTokenSource {
  get(): Promise<string>;
  refused(token: string): void;
}

/** A token source that mints on first use and again once a token is eksTokenReuseMs old, or was refused. */
export function eksTokens(target: EksCluster, options: EksTokenOptions = {}): EksTokenSource {
  const now = options.now ?? (() => new Date());
  let current: { token: Promise<string>; mintedAt: number } | undefined;
  return {
    get() {
      const at = now().getTime();
      if (!current || at - current.mintedAt >= eksTokenReuseMs) {
        const token = mintEksToken(target, options);
        current = { token, mintedAt: at };
        // A failed mint is not kept: the next request tries again.
        token.catch(() => {
          if (current?.token === token) current = undefined;
        });
      }
      return current.token;
    },
    refused(token) {
      void current?.token.then(
        (t) => {
          if (t === token) current = undefined;
        },
        () => undefined,
      );
    },
  };
}

let defaultCredentials: AwsCredentialIdentityProvider | undefined;
/** The SDK's default chain, once per container: on Lambda, the role's keys from the environment. */
function roleCredentials(): AwsCredentialIdentityProvider {
  defaultCredentials ??= memoized(defaultChain());
  return defaultCredentials;
}

/** The SDK's default provider chain, imported when keys are first asked for. */
function defaultChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

function memoized(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let held: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    const creds = await (held ??= provider());
    // Renewed five minutes before they expire (a role's keys last hours; Lambda's last as long as the container).
    if (creds.expiration && creds.expiration.getTime() - Date.now() < 5 * 60_000) {
      held = provider();
      return held;
    }
    return creds;
  };
}
