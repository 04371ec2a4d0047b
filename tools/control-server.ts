// A loopback HTTP endpoint through which integration tests, running in their own module context, stop and
// restart the API server of the cluster that the global setup owns.
import { createServer, type Server } from 'node:http';
import type { LocalCluster } from './cluster/cluster.ts';

/** Serves POST /apiserver/{stop,start,pause,resume}; resolves with the server's URL. */
export function startControlServer(cluster: LocalCluster): Promise<{ url: string; server: Server }> {
  const actions: Record<string, () => Promise<void>> = {
    'POST /apiserver/stop': () => cluster.stopApiServer(),
    'POST /apiserver/start': () => cluster.startApiServer(),
    'POST /apiserver/pause': async () => cluster.pauseApiServer(),
    'POST /apiserver/resume': () => cluster.resumeApiServer(),
  };
  const server = createServer((req, res) => {
    const action = actions[`${req.method} ${req.url}`];
    if (!action) return void res.writeHead(404).end();
    action().then(
      () => res.writeHead(204).end(),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${address.port}`, server });
    }),
  );
}
