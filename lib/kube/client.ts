// A thin JSON client for the Kubernetes API over node:https. Hand-written because client-node's generic API
// re-types every object through its models (dropping and reformatting fields) and opens a new TLS connection per
// request, while callers need the API server's own JSON and one kept-alive connection across Lambda invocations.
import { readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { type Answer, sendKeptAlive } from '../kept-alive.ts';
import type { EksTokenOptions, EksTokenSource } from './eks-token.ts';
import { invalidAnswer, kubeFailure, kubeNetworkFailure } from './failures.ts';
import type { ClusterAccess } from './kubeconfig.ts';

/** How long a kept-alive connection may idle before the client closes it. */
const idleSocketMs = 30_000;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  /** API path, e.g. /api/v1/persistentvolumes/pv-1. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json; patches name their own type. */
  contentType?: string;
  /** What the answer is: JSON (the default; anything else in a 2xx is a 502) or text, as /readyz answers. */
  answer?: 'json' | 'text';
  /** The kind a discovery request is made for: its failure names it. */
  kind?: string;
}

export interface KubeClientOptions {
  /** Time limit of one call, connection included. */
  timeoutMs: number;
  /** Told how long each call that got an answer took, in ms (the functions' upstream-latency metric). */
  observe?: (ms: number) => void;
  /** How EKS tokens are minted, when the access names an EKS cluster (tests: credentials and STS endpoint). */
  eks?: EksTokenOptions;
}

/** Makes requests to one API server with one set of credentials. */
export class KubeClient {
  readonly server: string;
  private readonly access: ClusterAccess;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly observe: (ms: number) => void;
  private fileToken: { value: string; changedAt: number } | undefined;
  private readonly eksOptions: EksTokenOptions | undefined;
  /** The EKS token source, made (its signer imported) when the first request needs a token: never without EKS. */
  private eksTokens: Promise<EksTokenSource> | undefined;

  constructor(access: ClusterAccess, options: KubeClientOptions) {
    this.access = access;
    this.server = access.server;
    this.timeoutMs = options.timeoutMs;
    this.observe = options.observe ?? (() => undefined);
    this.eksOptions = options.eks;
    this.agent = new Agent({
      keepAlive: true,
      // Idle sockets are closed well before the API server's 90 s idle limit, or a load balancer's, would drop them.
      timeout: idleSocketMs,
      ca: access.ca,
      cert: access.cert,
      key: access.key,
      rejectUnauthorized: !access.insecureSkipTlsVerify,
      servername: access.tlsServerName,
    });
  }

  private async bearer(): Promise<string | undefined> {
    const eks = this.access.eks;
    if (eks) {
      this.eksTokens ??= import('./eks-token.ts').then(({ eksTokens }) => eksTokens(eks, this.eksOptions));
      return (await this.eksTokens).get();
    }
    if (this.access.token) return this.access.token;
    if (!this.access.tokenFile) return undefined;
    // Re-read as soon as the file changes (a projected token is replaced, not edited): a stat per request is cheap.
    const changedAt = statSync(this.access.tokenFile).mtimeMs;
    if (this.fileToken?.changedAt !== changedAt) {
      this.fileToken = { value: readFileSync(this.access.tokenFile, 'utf8').trim(), changedAt };
    }
    return this.fileToken.value;
  }

  /** Sends one request and returns the parsed JSON answer; failures become domain errors (see failures.ts). */
  async request<T>(req: KubeRequest): Promise<T> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.bearer();
    if (token) headers.authorization = `Bearer ${token}`;
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      // Node would send a DELETE's body chunked, which the API server may refuse with a bare 400.
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    const started = performance.now();
    let answer: Answer;
    try {
      // Every request this service sends is safe to repeat on a fresh connection (reads; creates, whose repeat is a
      // 409; deletes and patches guarded by preconditions).
      answer = await sendKeptAlive(url, { method: req.method, headers, agent: this.agent, signal }, body);
    } catch (err) {
      throw kubeNetworkFailure(signal.aborted ? signal.reason : err, this.server);
    }
    this.observe(performance.now() - started);
    const data: unknown = parseJson(answer.text);
    if (answer.status >= 200 && answer.status < 300) {
      if (req.answer === 'text') return answer.text as T;
      if (data !== null && typeof data === 'object') return data as T;
      throw invalidAnswer({ method: req.method, path: req.path, text: answer.text });
    }
    const eks = answer.status === 401 && token && this.eksTokens ? this.access.eks!.cluster : undefined;
    // A refused EKS token is not reused: the next request mints a new one (after a clock skew, a role just mapped).
    if (eks) (await this.eksTokens!).refused(token!);
    // A starting API server serves requests before its authorizer has synced, refusing them with 403 (or 500): asked
    // only then, and never about /readyz itself.
    const ready =
      (answer.status === 403 || answer.status === 500) && req.path !== '/readyz' ? await this.ready() : undefined;
    const context = {
      kind: req.kind,
      eksCluster: eks,
      tokenExpiry: answer.status === 401 ? tokenExpiry(token) : undefined,
      ready,
      server: this.server,
    };
    throw kubeFailure({ method: req.method, path: req.path, status: answer.status, body: data }, context);
  }

  /** Whether /readyz answers 200. */
  private async ready(): Promise<boolean> {
    return this.request({ method: 'GET', path: '/readyz', answer: 'text' }).then(
      () => true,
      () => false,
    );
  }

  /** Closes the kept-alive connections. */
  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * When a bearer token that is a JWT (a service-account token) expires, from its exp claim; undefined for other tokens.
 */
export function tokenExpiry(token: string | undefined): Date | undefined {
  const payload = token?.split('.')[1];
  if (!payload || token!.split('.').length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
