// A stand-in for the MOOP tenant service that answers exactly as the real one does (../shared/REAL-MOOP.md,
// Orientsoft/moop-tenant-service at 2b96d0b): GET /tenants/<id>, no key check of its own, 200 with the full record,
// 400 `无效的租户id` for an unknown ObjectId and 500 `TENANT-SERVICE 未知错误` for anything else, both as text with the
// service's own content type `plain/text`. In `gateway` mode it stands for MOOP's API gateway in front of it:
// the path /services/v1/tenant/tenants/<id>, and 401 when the moopkey is wrong.
// Some ids fail the ways a network or a broken deployment can (faultyTenantIds).
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';

/**
 * Ids for which the stand-in fails as a network or a broken deployment can (the real service itself only says 400 or
 * 500).
 */
export const faultyTenantIds = {
  /** Answers after longer than the service's time limit. */
  slow: 'fa1100000000000000000001',
  /** Answers 500 with the real service's text, as it does when its database fails. */
  error: 'fa1100000000000000000002',
  /** Answers 200 with a body that is not JSON (a proxy's error page). */
  garbage: 'fa1100000000000000000003',
  /** Answers 200 with JSON that is not a tenant (a URL that names another API). */
  notATenant: 'fa1100000000000000000004',
  /** Drops the connection without answering. */
  hangUp: 'fa1100000000000000000005',
} as const;

export interface FakeTenantService {
  /** The tenants collection URL, as TENANT_SERVICE_URL. */
  url: string;
  /** How many lookups of id the service has answered or dropped. */
  requests(id: string): number;
  close(): Promise<void>;
}

export type TenantServiceMode = { mode: 'direct' } | { mode: 'gateway'; moopkey: string };

export const directPath = '/tenants';
export const gatewayPath = '/services/v1/tenant/tenants';
const objectId = /^[0-9a-fA-F]{24}$/;

const text = (res: ServerResponse, status: number, body: string): void =>
  void res.writeHead(status, { 'content-type': 'plain/text' }).end(body);

type Json = (status: number, body: unknown) => void;

/** Test-only controls, outside the real service's paths: how often an id was asked for, and a tenant removed. */
function control(
  req: IncomingMessage,
  url: URL,
  json: Json,
  byId: Map<string, unknown>,
  counts: Map<string, number>,
): boolean {
  if (req.method === 'GET' && url.pathname.startsWith('/__requests/')) {
    json(200, { count: counts.get(decodeURIComponent(url.pathname.slice('/__requests/'.length))) ?? 0 });
    return true;
  }
  if (req.method === 'DELETE' && url.pathname.startsWith('/__tenants/')) {
    byId.delete(decodeURIComponent(url.pathname.slice('/__tenants/'.length)));
    json(200, {});
    return true;
  }
  return false;
}

/** The ways faultyTenantIds fail; false for any other id. */
function fault(
  id: string,
  req: IncomingMessage,
  res: ServerResponse,
  json: Json,
  anyTenant: () => unknown,
  slowMs: number,
): boolean {
  switch (id) {
    case faultyTenantIds.slow:
      setTimeout(() => json(200, anyTenant()), slowMs);
      return true;
    case faultyTenantIds.error:
      text(res, 500, 'TENANT-SERVICE 未知错误');
      return true;
    case faultyTenantIds.garbage:
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      return true;
    case faultyTenantIds.notATenant:
      json(200, { status: 'ok', data: [] });
      return true;
    case faultyTenantIds.hangUp:
      req.socket.destroy();
      return true;
  }
  return false;
}

/** Starts the stand-in on a free loopback port. slowMs is how long the slow tenant takes. */
export function startFakeTenantService(
  records: readonly { id: string }[],
  mode: TenantServiceMode = { mode: 'direct' },
  slowMs = 3000,
  /** Serve HTTPS with this certificate (a private CA's, as a campus service's), instead of plain HTTP. */
  tls?: { cert: Buffer; key: Buffer },
): Promise<FakeTenantService> {
  const byId = new Map<string, unknown>(records.map((t) => [t.id, t]));
  const counts = new Map<string, number>();
  const base = mode.mode === 'gateway' ? gatewayPath : directPath;
  const listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const json: Json = (status, body) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (control(req, url, json, byId, counts)) return;
    if (mode.mode === 'gateway' && req.headers.moopkey !== mode.moopkey) return json(401, { message: 'Unauthorized' });
    // Flask answers a wrong path with its 404 page; the service's error handler turns every failure into its 500.
    if (req.method !== 'GET' || !url.pathname.startsWith(`${base}/`)) return text(res, 500, 'TENANT-SERVICE 未知错误');
    const id = decodeURIComponent(url.pathname.slice(base.length + 1));
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (fault(id, req, res, json, () => byId.values().next().value, slowMs)) return;
    if (!objectId.test(id)) return text(res, 500, 'TENANT-SERVICE 未知错误');
    const tenant = byId.get(id);
    return tenant ? json(200, tenant) : text(res, 400, '无效的租户id');
  };
  return listen(tls ? createTlsServer(tls, listener) : createServer(listener), tls ? 'https' : 'http', base, counts);
}

function listen(server: Server, scheme: string, base: string, counts: Map<string, number>): Promise<FakeTenantService> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `${scheme}://127.0.0.1:${port}${base}`,
        requests: (id) => counts.get(id) ?? 0,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}
