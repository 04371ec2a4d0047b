// A TCP proxy that forgets connections left idle, as the API server (after 90 s), a load balancer or the network of a
// frozen Lambda does: the next request on such a connection is answered with a reset (RST), not a clean close, so the
// client learns only when it reuses the socket.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface IdleDroppingProxy {
  /** host:port to connect to instead of the target. */
  port: number;
  /** Connections reset because they were reused after idling. */
  resets(): number;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<port> to target, resetting any connection that sends again after idleMs without traffic. */
export function startIdleDroppingProxy(
  target: { host: string; port: number },
  idleMs: number,
): Promise<IdleDroppingProxy> {
  let resets = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    let lastActivity = Date.now();
    const touch = (): void => void (lastActivity = Date.now());
    client.on('data', (chunk: Buffer) => {
      if (Date.now() - lastActivity > idleMs) {
        resets++;
        upstream.destroy();
        client.resetAndDestroy();
        return;
      }
      touch();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      touch();
      client.write(chunk);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        resets: () => resets,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}
