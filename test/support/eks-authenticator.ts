// EKS's token authenticator, as a webhook of the local API server: it checks a "k8s-aws-v1." token the way
// aws-iam-authenticator's Verify does (pkg/token/token.go), calls the presigned STS URL inside it with its own cluster
// id in x-k8s-aws-id, and maps the caller's role to Kubernetes groups as an EKS access entry does. The STS host in a
// token is reached at the STS stand-in (moto's STS, with AWS's signature check in front): the harness's only liberty.
import { createServer, request, type Server } from 'node:http';

/** An access entry: the IAM role it maps (canonical ARN) and the Kubernetes groups it gives. */
export interface AccessEntry {
  principalArn: string;
  groups: string[];
}

export interface EksAuthenticator {
  url: string;
  close(): Promise<void>;
}

const prefix = 'k8s-aws-v1.';
const allowedParameters = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

/** Starts the webhook on port; tokens are verified for clusterId against the STS stand-in at sts. */
export async function startEksAuthenticator(o: {
  port: number;
  clusterId: string;
  sts: { port: number };
  accessEntries: AccessEntry[];
}): Promise<EksAuthenticator> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        apiVersion: string;
        spec: { token: string };
      };
      void authenticate(review.spec.token, o).then((status) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'TokenReview', status }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${o.port}/authenticate`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type ReviewStatus =
  | { authenticated: true; user: { username: string; uid: string; groups: string[] } }
  | { authenticated: false; error?: string };

async function authenticate(
  token: string,
  o: { clusterId: string; sts: { port: number }; accessEntries: AccessEntry[] },
): Promise<ReviewStatus> {
  const refuse = (error: string): ReviewStatus => ({ authenticated: false, error });
  // Not an EKS token (a service account's, a client's): not ours to judge.
  if (!token.startsWith(prefix)) return { authenticated: false };
  if (token.length > 4096) return refuse('token is too large');
  let url: URL;
  try {
    url = new URL(Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8'));
  } catch {
    return refuse('input token was not properly formatted');
  }
  if (url.protocol !== 'https:' || !/^sts(\.[a-z0-9-]+)?\.amazonaws\.com$/.test(url.host))
    return refuse(`unexpected hostname ${url.host} in pre-signed URL`);
  if (url.pathname !== '/') return refuse('unexpected path in pre-signed URL');
  const params = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!allowedParameters.has(key.toLowerCase())) return refuse(`non-whitelisted query parameter ${key}`);
    if (url.searchParams.getAll(key).length !== 1) return refuse('query parameter with multiple values not supported');
    params.set(key.toLowerCase(), url.searchParams.get(key)!);
  }
  if (params.get('action') !== 'GetCallerIdentity') return refuse('unexpected action parameter in pre-signed URL');
  if (!(params.get('x-amz-signedheaders') ?? '').split(';').includes('x-k8s-aws-id'))
    return refuse('client did not sign the x-k8s-aws-id header');
  const expires = Number(params.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900)
    return refuse('invalid X-Amz-Expires parameter in pre-signed URL');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(params.get('x-amz-date') ?? '');
  if (!date) return refuse('X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!);
  if (Date.now() > signedAt + 15 * 60_000) return refuse('X-Amz-Date parameter is expired (15 minute expiration)');

  const answer = await new Promise<{ status: number; body: string }>((resolve) => {
    request(
      {
        host: '127.0.0.1',
        port: o.sts.port,
        path: url.pathname + url.search,
        headers: { host: url.host, 'x-k8s-aws-id': o.clusterId, accept: 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    )
      .on('error', (err) => resolve({ status: 0, body: err.message }))
      .end();
  });
  if (answer.status !== 200)
    return refuse(`sts getCallerIdentity failed: error from AWS (expected 200, got ${answer.status})`);
  // moto answers STS in XML whatever the Accept header; AWS answers JSON. Only the two fields are read.
  const field = (name: string): string => new RegExp(`<${name}>([^<]*)</${name}>`).exec(answer.body)?.[1] ?? '';
  const arn = field('Arn');
  const role = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (!role) return refuse(`unmapped identity ${arn}`);
  const canonical = `arn:${role[1]}:iam::${role[2]}:role/${role[3]}`;
  const entry = o.accessEntries.find((e) => e.principalArn === canonical);
  if (!entry) return refuse(`ARN is not mapped: ${canonical}`);
  // EKS's default username for a role's access entry: the session's ARN.
  return {
    authenticated: true,
    user: {
      username: arn,
      uid: `aws-iam-authenticator:${role[2]}:${field('UserId').split(':')[0]}`,
      groups: entry.groups,
    },
  };
}
