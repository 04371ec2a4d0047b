// A stand-in for the MOOP tenant service, speaking its HTTP contract: GET <base>/<id> with the moopkey header,
// 200 with the tenant, 401 for a wrong key, 404 for an unknown id; some ids fail the ways a real service can.
import { createServer, type Server } from 'node:http';
import { faultyTenantIds, type Tenant } from '../fixtures/tenants.ts';

export interface FakeTenantService {
  /** The tenants collection URL, as TENANT_SERVICE_URL. */
  url: string;
  /** How many lookups of id the service has answered or dropped. */
  requests(id: string): number;
  close(): Promise<void>;
}

export const tenantsPath = '/service/v1/tenants';

/** Starts the fake on a free loopback port. slowMs is how long the slow tenant takes. */
export function startFakeTenantService(tenants: Tenant[], moopkey: string, slowMs = 3000): Promise<FakeTenantService> {
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname.startsWith('/__requests/')) {
      return send(200, { count: counts.get(decodeURIComponent(url.pathname.slice('/__requests/'.length))) ?? 0 });
    }
    if (req.method === 'DELETE' && url.pathname.startsWith('/__tenants/')) {
      byId.delete(decodeURIComponent(url.pathname.slice('/__tenants/'.length)));
      return send(200, {});
    }
    if (req.method !== 'GET' || !url.pathname.startsWith(`${tenantsPath}/`)) return send(404, { error: 'not found' });
    const id = decodeURIComponent(url.pathname.slice(tenantsPath.length + 1));
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (req.headers.moopkey !== moopkey) return send(401, { error: 'unauthorized' });
    switch (id) {
      case faultyTenantIds.slow:
        return void setTimeout(() => send(200, byId.values().next().value), slowMs);
      case faultyTenantIds.error:
        return send(500, { error: 'internal server error' });
      case faultyTenantIds.garbage:
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      case faultyTenantIds.notATenant:
        return send(200, { status: 'ok', data: [] });
      case faultyTenantIds.hangUp:
        return void req.socket.destroy();
    }
    const tenant = byId.get(id);
    return tenant ? send(200, tenant) : send(404, { error: `tenant ${id} not found` });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}${tenantsPath}`,
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
