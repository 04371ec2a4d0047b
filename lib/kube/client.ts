// A thin JSON client for the Kubernetes API. Hand-written over undici because client-node's generic API re-types
// every object through its models (dropping and reformatting fields) and opens a new TLS connection per request,
// while callers need the API server's own JSON and one kept-alive connection across Lambda invocations.
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent } from 'undici';
import { kubeFailure, kubeNetworkFailure } from './failures.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpMethod;
  /** API path, e.g. /api/v1/persistentvolumes/pv-1. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json; patches name their own type. */
  contentType?: string;
}

export interface KubeClientOptions {
  /** Time limit of one call, connection included. */
  timeoutMs: number;
}

/** Makes requests to one API server with the credentials of a KubeConfig. */
export class KubeClient {
  readonly server: string;
  private readonly kc: KubeConfig;
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  private constructor(kc: KubeConfig, server: string, agent: Agent, timeoutMs: number) {
    this.kc = kc;
    this.server = server;
    this.agent = agent;
    this.timeoutMs = timeoutMs;
  }

  /** Builds a client whose TLS settings come from the kubeconfig's current cluster and user. */
  static async fromKubeConfig(kc: KubeConfig, options: KubeClientOptions): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig names no current cluster');
    const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string } = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new Agent({
      connect: { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername, timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
    });
    return new KubeClient(kc, cluster.server.replace(/\/+$/, ''), agent, options.timeoutMs);
  }

  /** Sends one request and returns the parsed JSON answer; failures become domain errors (see failures.ts). */
  async request<T>(req: KubeRequest): Promise<T> {
    const url = new URL(this.server + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    // Asked per request: exec and OIDC credentials expire, and client-node refreshes them here.
    const auth: { headers?: Record<string, string> } = {};
    await this.kc.applyToHTTPSOptions(auth);
    Object.assign(headers, auth.headers);
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    let response;
    try {
      response = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method,
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw kubeNetworkFailure(err, this.server);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw kubeNetworkFailure(err, this.server);
    }
    const data: unknown = parseJson(text);
    if (response.statusCode >= 200 && response.statusCode < 300) return data as T;
    throw kubeFailure(response.statusCode, data, `${req.method} ${req.path}`);
  }

  /** Closes the kept-alive connections. */
  close(): Promise<void> {
    return this.agent.close();
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
