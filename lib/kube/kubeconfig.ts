// The one place that knows how a kubeconfig is loaded. Hand-written rather than client-node's KubeConfig, which
// brings its whole generated API, undici and every auth provider into each Lambda bundle (1.4 MB of 1.9 MB);
// the service's kubeconfig is a service-account token or a client certificate, which this reads in full.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { load } from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { describeProblems, fieldProblems } from '../validation.ts';
import type { EksCluster } from './eks-token.ts';

/**
 * Where the cluster's credentials come from: a file, a kubeconfig document (e.g. from a secret), or the pod's service
 * account.
 */
export type KubeconfigSource =
  | { file: string; yaml?: never }
  | { yaml: string; file?: never }
  | { inCluster: true; file?: never; yaml?: never };

/** How to reach one API server: its URL, TLS material and credentials. */
export interface ClusterAccess {
  server: string;
  ca?: Buffer;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  cert?: Buffer;
  key?: Buffer;
  /** A bearer token, or the file that holds one (re-read, since projected tokens rotate). */
  token?: string;
  tokenFile?: string;
  /** An EKS cluster whose tokens the service mints from its IAM role (see eks-token.ts). */
  eks?: EksCluster;
}

const KubeconfigSchema = z.looseObject({
  'current-context': z.string().optional(),
  clusters: z
    .array(
      z.looseObject({
        name: z.string(),
        cluster: z.looseObject({
          server: z.string().regex(/^https:\/\//, 'the API server must be an https:// URL'),
          'certificate-authority': z.string().optional(),
          'certificate-authority-data': z.string().optional(),
          'insecure-skip-tls-verify': z.boolean().optional(),
          'tls-server-name': z.string().optional(),
        }),
      }),
    )
    .default([]),
  users: z
    .array(
      z.looseObject({
        name: z.string(),
        user: z.looseObject({
          token: z.string().optional(),
          tokenFile: z.string().optional(),
          'client-certificate': z.string().optional(),
          'client-certificate-data': z.string().optional(),
          'client-key': z.string().optional(),
          'client-key-data': z.string().optional(),
          exec: z.looseObject({ command: z.string(), args: z.array(z.string()).nullish() }).optional(),
          'auth-provider': z.unknown().optional(),
        }),
      }),
    )
    .default([]),
  contexts: z
    .array(z.looseObject({ name: z.string(), context: z.looseObject({ cluster: z.string(), user: z.string() }) }))
    .default([]),
});

const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

type Kubeconfig = z.infer<typeof KubeconfigSchema>;
type KubeCluster = Kubeconfig['clusters'][number]['cluster'];
type KubeUser = Kubeconfig['users'][number]['user'];

/**
 * Reads a kubeconfig's current context into ClusterAccess; throws ConfigError saying what is missing or unsupported.
 */
export function loadKubeconfig(source: KubeconfigSource): ClusterAccess {
  if ('inCluster' in source && source.inCluster) return inCluster();
  const text = source.file !== undefined ? read(source.file, 'KUBECONFIG') : source.yaml!;
  const { cluster, user, userName } = currentContext(parseKubeconfig(text));
  if (user['auth-provider']) {
    throw new ConfigError(
      `The kubeconfig's user "${userName}" logs in through an auth-provider plugin, which the service does not run: give it a service-account token or a client certificate`,
    );
  }
  const access = clusterAccess(cluster, user, userName, source.file !== undefined ? dirname(source.file) : undefined);
  if (!access.eks && !access.token && !access.tokenFile && !(access.cert && access.key)) {
    throw new ConfigError(`The kubeconfig's user "${userName}" has neither a token nor a client certificate and key`);
  }
  return access;
}

function parseKubeconfig(text: string): Kubeconfig {
  let document: unknown;
  try {
    document = load(text);
  } catch (err) {
    // js-yaml's message quotes the lines around the fault, which may hold a token or a key: only the place is told.
    const mark = (err as { mark?: { line?: number; column?: number } }).mark;
    const where = mark?.line !== undefined ? ` (line ${mark.line + 1}, column ${(mark.column ?? 0) + 1})` : '';
    throw new ConfigError(`The kubeconfig is not valid YAML${where}.`);
  }
  const result = KubeconfigSchema.safeParse(document);
  // zod's messages name fields and expected types, never values.
  if (!result.success)
    throw new ConfigError(`The kubeconfig is not usable: ${describeProblems(fieldProblems(result.error))}`);
  return result.data;
}

/** The cluster and user of the current context (or the first, when none is current). */
function currentContext(parsed: Kubeconfig): { cluster: KubeCluster; user: KubeUser; userName: string } {
  const contextName = parsed['current-context'] ?? parsed.contexts[0]?.name;
  const context = parsed.contexts.find((c) => c.name === contextName)?.context;
  if (!context) throw new ConfigError(`The kubeconfig has no context "${contextName ?? ''}"`);
  const cluster = parsed.clusters.find((c) => c.name === context.cluster)?.cluster;
  const user = parsed.users.find((u) => u.name === context.user)?.user;
  if (!cluster) throw new ConfigError(`The kubeconfig has no cluster "${context.cluster}"`);
  if (!user) throw new ConfigError(`The kubeconfig has no user "${context.user}"`);
  return { cluster, user, userName: context.user };
}

/** Certificates and keys inline or in files (relative to the kubeconfig's folder), a token, or an EKS login. */
function clusterAccess(
  cluster: KubeCluster,
  user: KubeUser,
  userName: string,
  baseDir: string | undefined,
): ClusterAccess {
  const file = (path: string | undefined): string | undefined =>
    path === undefined || isAbsolute(path) || !baseDir ? path : join(baseDir, path);
  const material = (data: string | undefined, path: string | undefined, what: string): Buffer | undefined =>
    data !== undefined
      ? Buffer.from(data, 'base64')
      : path !== undefined
        ? Buffer.from(read(file(path)!, what))
        : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority'], 'certificate-authority'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'],
    tlsServerName: cluster['tls-server-name'],
    cert: material(user['client-certificate-data'], user['client-certificate'], 'client-certificate'),
    key: material(user['client-key-data'], user['client-key'], 'client-key'),
    token: user.token,
    tokenFile: file(user.tokenFile),
    eks: user.exec ? eksLogin(user.exec, userName) : undefined,
  };
}

/**
 * The EKS cluster an exec login names, when it is `aws eks get-token` (as `aws eks update-kubeconfig` writes it) or
 * `aws-iam-authenticator token`: the service mints the same token itself. Any other plugin is refused.
 */
function eksLogin(exec: { command: string; args?: string[] | null }, userName: string): EksCluster {
  const args = exec.args ?? [];
  const command = basename(exec.command);
  const option = (...names: string[]): string | undefined => {
    for (const [i, arg] of args.entries()) {
      for (const name of names) {
        if (arg === name) return args[i + 1];
        if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
      }
    }
    return undefined;
  };
  const awsCli = command === 'aws' && args.includes('eks') && args.includes('get-token');
  const authenticator = command === 'aws-iam-authenticator' && args.includes('token');
  if (!awsCli && !authenticator) {
    throw new ConfigError(
      `The kubeconfig's user "${userName}" logs in through the exec plugin "${command}", which the service does not run: give it a service-account token or a client certificate, or on EKS use \`aws eks get-token\` (README, EKS)`,
    );
  }
  const role = awsCli ? option('--role-arn') : option('--role', '-r');
  if (role !== undefined) {
    throw new ConfigError(
      `The kubeconfig's user "${userName}" assumes the role ${role} to log in; the service logs in as its own function role: map that role to the group moop:resource-service instead (README, EKS) and drop the role option`,
    );
  }
  const cluster = awsCli ? option('--cluster-name', '--cluster-id') : option('--cluster-id', '-i');
  if (!cluster)
    throw new ConfigError(`The kubeconfig's user "${userName}" runs ${command} without naming the EKS cluster`);
  return { cluster, region: option('--region') };
}

function inCluster(): ClusterAccess {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host || !existsSync(join(serviceAccountDir, 'token'))) {
    throw new ConfigError('No KUBECONFIG is set and this is not a pod with a service account: set KUBECONFIG');
  }
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: Buffer.from(read(join(serviceAccountDir, 'ca.crt'), 'the service account CA')),
    tokenFile: join(serviceAccountDir, 'token'),
  };
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Cannot read ${what} at ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
