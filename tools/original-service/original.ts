// The original Flask volume-service (volume_service.py beside this file) run for the benchmark's side-by-side
// section: an account of its own on the cluster, with exactly the calls the original makes, and the service itself
// in the project's Python venv (.local/venv, scripts/ensure-python.sh).
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError } from '../../lib/errors.ts';
import { KubeClient } from '../../lib/kube/client.ts';
import { loadKubeconfig } from '../../lib/kube/kubeconfig.ts';
import { freePort, killOnExit, stopWithGrace } from '../cluster/processes.ts';
import { projectRoot } from '../offline.ts';

const account = 'moop-volume-service-original';
const accountNamespace = 'moop-system';

/**
 * The original's verbs, and nothing else: volumes made, read (through their status subresource, as the original
 * reads them) and deleted; the same for claims in the tenant's namespace. Unlike the service's account, no admission
 * policy holds it to MOOP's rules (in 2019 none did): the service's own kubeconfig could not make the original's
 * unlabelled, unreserved volumes, nor read the status subresources.
 */
function rbacObjects(namespace: string) {
  const subjects = [{ kind: 'ServiceAccount', name: account, namespace: accountNamespace }];
  const meta = () => ({ name: account, labels: { 'moop.io/bench': 'true' } });
  return [
    {
      path: `/api/v1/namespaces/${accountNamespace}/serviceaccounts`,
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta() },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: meta(),
        rules: [
          { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['create', 'delete'] },
          { apiGroups: [''], resources: ['persistentvolumes/status'], verbs: ['get'] },
        ],
      },
    },
    {
      path: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: meta(),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account },
        subjects,
      },
    },
    {
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(),
        rules: [
          { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['create', 'delete'] },
          { apiGroups: [''], resources: ['persistentvolumeclaims/status'], verbs: ['get'] },
        ],
      },
    },
    {
      path: `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
        subjects,
      },
    },
  ];
}

export interface OriginalAccount {
  /** A kubeconfig like the service's (same server, CA and kind of credential: a service-account token). */
  kubeconfig: string;
  /** Removes the account, its roles and the kubeconfig. */
  remove(): Promise<void>;
}

/** Makes the original's account (anew, if one was left behind) and writes its kubeconfig beside serviceKubeconfig. */
export async function originalAccount(
  adminKubeconfig: string,
  serviceKubeconfig: string,
  namespace: string,
): Promise<OriginalAccount> {
  const admin = new KubeClient(loadKubeconfig({ file: adminKubeconfig }), { timeoutMs: 10_000 });
  const objects = rbacObjects(namespace);
  const remove = async (): Promise<void> => {
    for (const o of [...objects].reverse()) {
      await admin.request({ method: 'DELETE', path: `${o.path}/${account}` }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
  };
  const kubeconfig = join(serviceKubeconfig, '..', 'kubeconfig-original');
  try {
    await remove();
    for (const o of objects) await admin.request({ method: 'POST', path: o.path, body: o.body });
    const token = await admin.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${accountNamespace}/serviceaccounts/${account}/token`,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 86_400 } },
    });
    const config = JSON.parse(readFileSync(serviceKubeconfig, 'utf8')) as { users: { user: object }[] };
    config.users[0]!.user = { token: token.status.token };
    writeFileSync(kubeconfig, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    await admin.close();
    throw err;
  }
  return {
    kubeconfig,
    remove: async () => {
      await remove().finally(() => admin.close());
      rmSync(kubeconfig, { force: true });
    },
  };
}

export interface OriginalOptions {
  kubeconfig: string;
  /** The tenant service's base URL: the original appends /tenants/<id>. */
  tenantServiceUrl: string;
  nfsServer: string;
  nfsPrefix: string;
  moopkey: string;
  readyTimeoutMs?: number;
}

export interface OriginalService {
  url: string;
  /** The Flask process (the leader of its own process group). */
  pid: number;
  stop(): Promise<void>;
}

const python = join(projectRoot, '.local/venv/bin/python');

/** Starts the original service on a free port and resolves once it answers. */
export async function startOriginal(options: OriginalOptions): Promise<OriginalService> {
  if (!existsSync(python))
    throw new Error(`${python} is missing: run sh scripts/ensure-python.sh (it installs Flask and the client)`);
  const port = await freePort();
  // Its Kubernetes client writes the cluster's CA to a temporary file that it removes only on a normal exit: a
  // temporary directory of its own, removed when it stops.
  const tmp = mkdtempSync(join(tmpdir(), 'moop-original-'));
  const child = spawn(python, [join(import.meta.dirname, 'volume_service.py')], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH,
      ORIGINAL_PORT: String(port),
      KUBECONFIG: options.kubeconfig,
      TENANT_SERVICE_URL: options.tenantServiceUrl,
      NFS_SERVER: options.nfsServer,
      NFS_PREFIX: options.nfsPrefix,
      MOOPKEY: options.moopkey,
      PYTHONDONTWRITEBYTECODE: '1',
      TMPDIR: tmp,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const cancelKill = killOnExit(() => [child.pid]);
  const output = lastLines(child);
  const stop = async (): Promise<void> => {
    await stopWithGrace(child, 3000, { group: true });
    cancelKill();
    rmSync(tmp, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilAnswering(url, child, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw new Error(`the original volume-service did not start: ${String(err)}\n${output().join('\n')}`);
  }
  return { url, pid: child.pid!, stop };
}

/** Reads the child's output as it comes (so it never blocks on a full pipe), keeping the last lines for errors. */
function lastLines(child: ChildProcessByStdio<null, Readable, Readable>): () => string[] {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return () => lines;
}

async function untilAnswering(url: string, child: { exitCode: number | null }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    // Without a tenant it answers at once, with no lookup and no Kubernetes call.
    const answered = await fetch(`${url}/service/v1/volumes/pvs`).then(
      (r) => r.ok,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
