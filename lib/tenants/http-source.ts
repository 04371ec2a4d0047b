// Tenant lookup over HTTP: GET ${TENANT_SERVICE_URL}/${id} with the moopkey header, within a time limit.
// The real MOOP tenant service answers an unknown tenant with 400 and a text body, and any fault with 500 and text;
// a gateway in front of it may answer 401/403 (key refused) or 404. See ../shared/REAL-MOOP.md.
// Over node:http(s) rather than fetch: a campus tenant service's private CA is trusted through the agent, which fetch
// cannot take without a second copy of undici in every bundle.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { NotFoundError, UnavailableError, UpstreamError, UpstreamTimeoutError } from '../errors.ts';
import { sendKeptAlive } from '../kept-alive.ts';
import { type Tenant, TenantSchema } from './tenant.ts';

/** How long a kept-alive connection may idle before it is closed. */
const idleSocketMs = 30_000;
const untrustedCertificate = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** Looks up one tenant by id; throws the domain error of each failure kind. */
export type TenantSource = (id: string) => Promise<Tenant>;

export interface HttpTenantSourceOptions {
  /**
   * The tenants collection: http://<node>:31778/tenants, or the gateway's
   * http://<gateway>:32280/services/v1/tenant/tenants.
   */
  url: string;
  /** The key to send; asked per lookup, since a rotated key must be picked up. */
  moopkey: () => Promise<string>;
  timeoutMs: number;
  /** Told how long each lookup that got an answer took, in ms (the functions' upstream-latency metric). */
  observe?: (ms: number) => void;
  /**
   * PEM of a private CA that signed the service's certificate, trusted beside the public roots (TENANT_SERVICE_CA);
   * read once.
   */
  ca?: () => Promise<string | undefined>;
}

/** A TenantSource backed by the MOOP tenant service. */
export function httpTenantSource({
  url,
  moopkey,
  timeoutMs,
  observe = () => undefined,
  ca,
}: HttpTenantSourceOptions): TenantSource {
  const base = url.replace(/\/+$/, '');
  let agent: Promise<HttpAgent> | undefined;
  const makeAgent = async (): Promise<HttpAgent> => {
    if (!base.startsWith('https:')) return new HttpAgent({ keepAlive: true, timeout: idleSocketMs });
    const pem = await ca?.();
    return new HttpsAgent({ keepAlive: true, timeout: idleSocketMs, ca: pem ? [...rootCertificates, pem] : undefined });
  };
  return async (id) => {
    const key = await moopkey();
    const connections = await (agent ??= makeAgent().catch((err: unknown) => {
      agent = undefined;
      throw err;
    }));
    const signal = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      // A GET is safe to repeat on a fresh connection, and the time limit covers both tries.
      ({ status, text } = await sendKeptAlive(`${base}/${encodeURIComponent(id)}`, {
        headers: { moopkey: key, accept: 'application/json' },
        agent: connections,
        signal,
      }));
      observe(performance.now() - started);
    } catch (err) {
      if (signal.aborted) {
        throw new UpstreamTimeoutError(`The tenant service did not answer within ${timeoutMs} ms.`, {
          code: 'TENANT_SERVICE_TIMEOUT',
          cause: err,
        });
      }
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code && untrustedCertificate.test(code)
          ? `its certificate is not trusted: ${code}; set TENANT_SERVICE_CA to the CA that signed it`
          : (code ?? (err as Error).message);
      throw new UnavailableError(`The tenant service cannot be reached (${reason}).`, {
        code: 'TENANT_SERVICE_UNAVAILABLE',
        cause: err,
      });
    }
    return tenantOf(id, status, text);
  };
}

/** The tenant the service's answer holds, or the domain error of what it answered instead. */
function tenantOf(id: string, status: number, text: string): Tenant {
  // 400 is the tenant service's own "无效的租户id" (invalid tenant id): the id is well-formed (checked before), so unknown.
  if (status === 400 || status === 404) throw new NotFoundError(`No tenant ${id}.`, { code: 'TENANT_NOT_FOUND' });
  if (status === 401 || status === 403) {
    throw new UpstreamError(
      `The tenant service (or the gateway in front of it) refused this service's moopkey with HTTP ${status}; check MOOPKEY.`,
      {
        code: 'TENANT_SERVICE_KEY_REFUSED',
      },
    );
  }
  if (status < 200 || status > 299) {
    throw new UpstreamError(`The tenant service failed with HTTP ${status} for tenant ${id}${said(text)}.`, {
      code: 'TENANT_SERVICE_FAILED',
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new UpstreamError(`The tenant service answered tenant ${id} with something that is not JSON.`, {
      code: 'TENANT_SERVICE_INVALID',
      cause: err,
    });
  }
  const parsed = TenantSchema.safeParse(body);
  if (!parsed.success || parsed.data.id !== id) {
    throw new UpstreamError(`The tenant service's answer for tenant ${id} is not a tenant of that id.`, {
      code: 'TENANT_SERVICE_INVALID',
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * True when url is plain http to a host that is not on a private network: the moopkey would cross the internet in
 * clear. Private: loopback, RFC 1918 and link-local addresses, and names that only resolve inside a network
 * (localhost, *.local, *.internal, *.svc, *.cluster.local, single-label names).
 */
export function sendsKeyInClear(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:') return false;
  const host = hostname.replace(/^\[|\]$/g, '');
  const ipv4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (ipv4) {
    const [a, b] = [Number(ipv4[1]), Number(ipv4[2])];
    return !(
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  if (host.includes(':')) return !(host === '::1' || /^f[cd]/i.test(host) || /^fe80/i.test(host));
  return !(!host.includes('.') || /(^localhost|\.local|\.internal|\.svc|\.cluster\.local|\.lan)$/i.test(host));
}

/**
 * What a failing service said, shortened, for the message (its bodies are short texts such as "TENANT-SERVICE 未知错误").
 */
function said(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (!line) return '';
  return `: "${line.length > 120 ? `${line.slice(0, 120)}…` : line}"`;
}
