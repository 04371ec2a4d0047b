// Starts and stops a real local Kubernetes control plane: etcd, kube-apiserver (TLS, RBAC, service-account tokens),
// kube-controller-manager, kube-scheduler and kwok with fake nodes, all on free loopback ports; and one real node
// (kubelet, containerd, runc) on which copy pods that ask for it really run.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { ensureBinaries } from './binaries.ts';
import { bootstrap } from './bootstrap.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { ensureNodeArtifacts, type NodeArtifacts } from './node-artifacts.ts';
import { createPki, type Pki } from './pki.ts';
import { freePort, ManagedProcess, probe } from './processes.ts';
import { importImages, prepareRealNode, realNodeName, realNodeUnsupported } from './real-node.ts';
import { type Companions, clusterDirPrefix, reapStaleClusters, recordOwner, removeClusterDir, removeClusterOnExit } from './reaper.ts';

type Log = (line: string) => void;

export interface ClusterOptions {
  /** Where the kubeconfigs go; defaults to the cluster's temporary folder. */
  kubeconfigDir?: string;
  /** Number of kwok nodes. */
  nodes?: number;
  /** Whether to add the real node; default: unless MOOP_REAL_NODE=off. */
  realNode?: boolean;
  /** A token webhook (TokenReview v1) the API server asks about bearer tokens it does not know itself, e.g. EKS's. */
  tokenWebhookUrl?: string;
  log?: Log;
}

/** A running local cluster. */
export interface LocalCluster {
  server: string;
  caFile: string;
  /** Cluster-admin kubeconfig (system:masters). */
  adminKubeconfig: string;
  /** Kubeconfig of the service's own service account, bound only to deploy/rbac.yaml. */
  serviceKubeconfig: string;
  /** Folder of data and logs, removed by stop(). */
  dir: string;
  processes: ManagedProcess[];
  /** The real node's name, or undefined when it runs without one (MOOP_REAL_NODE=off). */
  realNode?: string;
  /**
   * Records a process group (and its folder) started beside the cluster, e.g. serverless-offline, so that it goes with
   * the cluster however its owner ends: on exit, or, after a SIGKILL, at the next start's clean-up.
   */
  adopt(companion: { group: number; folder?: string }): void;
  stopApiServer(): Promise<void>;
  /** Freezes the API server (SIGSTOP): connections hang instead of being refused. */
  pauseApiServer(): void;
  /** Thaws the API server; resolves once it and the components that watch it work again. */
  resumeApiServer(): Promise<void>;
  /** Starts the API server if stopped; resolves once it and the components that watch it work again. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the whole control plane and returns once a Job could run on it. */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const log = options.log ?? ((l: string) => console.error(l));
  const withRealNode = options.realNode ?? process.env.MOOP_REAL_NODE !== 'off';
  const unsupported = withRealNode ? realNodeUnsupported() : undefined;
  if (unsupported) {
    throw new Error(
      `The local cluster's real node cannot run on this machine: ${unsupported}. Set MOOP_REAL_NODE=off to run without it (copies then run only on kwok's fake nodes).`,
    );
  }
  const bins = await ensureBinaries(log);
  const nodeArtifacts = withRealNode ? await ensureNodeArtifacts(log) : undefined;
  reapStaleClusters(log);
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), clusterDirPrefix));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const kubeconfigDir = options.kubeconfigDir ?? dir;
  mkdirSync(kubeconfigDir, { recursive: true });
  const processes: ManagedProcess[] = [];
  const pids = (): number[] => processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  const companions: Companions = { groups: [], folders: [] };
  const forgetOnExit = removeClusterOnExit(dir, pids, () => companions);
  const launch = (proc: ManagedProcess, bin: string, args: string[], env?: NodeJS.ProcessEnv): void => {
    if (!processes.includes(proc)) processes.push(proc);
    proc.start(bin, args, env);
    recordOwner(dir, pids(), companions);
  };
  const stopAll = async (): Promise<void> => {
    for (const p of [...processes].reverse()) await p.stop();
    forgetOnExit();
    if (!removeClusterDir(dir)) log(`[cluster] something stays mounted below ${dir}: left in place, the next start removes it`);
  };
  try {
    const pki = createPki(dir);
    const [etcdPort, peerPort, apiPort, kcmPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const server = `https://127.0.0.1:${apiPort}`;
    const adminKubeconfig = join(kubeconfigDir, 'kubeconfig');
    writeKubeconfig(adminKubeconfig, server, pki.caCert, 'moop-local-admin', { certFile: pki.adminCert, keyFile: pki.adminKey });
    const tls = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };

    const etcd = new ManagedProcess('etcd', logDir);
    launch(etcd, bins.etcd, etcdArgs(dir, etcdPort!, peerPort!));
    await etcd.waitUntil('health', async () => (await probe(`http://127.0.0.1:${etcdPort}/health`)) === 200);

    const apiserver = new ManagedProcess('kube-apiserver', logDir);
    const apiArgs = [...apiserverArgs(dir, pki, etcdPort!, apiPort!), ...(options.tokenWebhookUrl ? tokenWebhookArgs(dir, options.tokenWebhookUrl) : [])];
    const startApiServer = async (): Promise<void> => {
      launch(apiserver, bins['kube-apiserver'], apiArgs);
      await apiserver.waitUntil('readyz', async () => (await probe(`${server}/readyz`, tls)) === 200, 90_000);
    };
    await startApiServer();

    const components: [ManagedProcess, string, string[], number | undefined][] = [
      [new ManagedProcess('kube-controller-manager', logDir), bins['kube-controller-manager'], controllerManagerArgs(adminKubeconfig, pki, kcmPort!), kcmPort],
      [new ManagedProcess('kube-scheduler', logDir), bins['kube-scheduler'], schedulerArgs(adminKubeconfig, schedulerPort!), schedulerPort],
      [new ManagedProcess('kwok', logDir), bins.kwok, kwokArgs(adminKubeconfig), undefined],
    ];
    const startComponents = async (): Promise<void> => {
      for (const [proc, bin, args] of components) launch(proc, bin, args);
      for (const [proc, , , port] of components) {
        if (port) await proc.waitUntil('healthz', async () => (await probe(`https://127.0.0.1:${port}/healthz`, { insecure: true })) === 200);
      }
    };
    // After an outage of the API server, the controllers' watches retry with a backoff that grows to 30 s: restarting
    // the controller manager and the scheduler hands tests a cluster that works again at once, as it would be once the
    // backoff ran out. Not kwok: a new kwok waits for its nodes' leases, held by the old one, to expire (about 30 s).
    const restartComponents = async (): Promise<void> => {
      const controllers = components.filter(([proc]) => proc.name !== 'kwok');
      for (const [proc] of controllers) await proc.stop();
      for (const [proc, bin, args] of controllers) launch(proc, bin, args);
      for (const [proc, , , port] of controllers) {
        if (port) await proc.waitUntil('healthz', async () => (await probe(`https://127.0.0.1:${port}/healthz`, { insecure: true })) === 200);
      }
    };
    await startComponents();

    const serviceKubeconfig = join(kubeconfigDir, 'kubeconfig-service');
    const token = await bootstrap(adminKubeconfig, options.nodes ?? 2, (what, check) => components[2]![0].waitUntil(what, check));
    writeKubeconfig(serviceKubeconfig, server, pki.caCert, 'moop-resource-service', { token });
    if (nodeArtifacts) {
      const nodeStarted = Date.now();
      await startRealNode({ dir, server, pki, adminKubeconfig, nodeArtifacts, logDir, launch });
      log(`[cluster] real node ${realNodeName} Ready in ${((Date.now() - nodeStarted) / 1000).toFixed(1)}s`);
    }
    log(`[cluster] ready at ${server} in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in ${logDir})`);

    return {
      server,
      caFile: pki.caCert,
      adminKubeconfig,
      serviceKubeconfig,
      dir,
      processes,
      realNode: nodeArtifacts ? realNodeName : undefined,
      adopt: (companion) => {
        companions.groups.push(companion.group);
        if (companion.folder) companions.folders.push(companion.folder);
        recordOwner(dir, pids(), companions);
      },
      stopApiServer: () => apiserver.stop(),
      pauseApiServer: () => apiserver.signal('SIGSTOP'),
      resumeApiServer: async () => {
        apiserver.signal('SIGCONT');
        await apiserver.waitUntil('readyz', async () => (await probe(`${server}/readyz`, tls)) === 200, 90_000);
        await restartComponents();
      },
      startApiServer: async () => {
        if (!apiserver.running) await startApiServer();
        await restartComponents();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Starts containerd and kubelet of the real node and returns once the node is Ready. */
async function startRealNode(o: {
  dir: string;
  server: string;
  pki: Pki;
  adminKubeconfig: string;
  nodeArtifacts: NodeArtifacts;
  logDir: string;
  launch: (proc: ManagedProcess, bin: string, args: string[], env?: NodeJS.ProcessEnv) => void;
}): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(o.adminKubeconfig);
  // Kubelets are authorised by RBAC alone here (no Node authorizer): the node role for the nodes' group.
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: 'moop-real-node' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    },
  });
  const node = prepareRealNode(o.dir, o.nodeArtifacts, { cert: o.pki.caCert, key: o.pki.caKey }, o.server);
  // containerd finds its shim, and the shim runc, on PATH.
  const env = { ...process.env, PATH: `${o.nodeArtifacts.bin}:${process.env.PATH ?? ''}` };
  const containerd = new ManagedProcess('containerd', o.logDir);
  o.launch(containerd, o.nodeArtifacts.containerd, node.containerdArgs, env);
  await containerd.waitUntil('its socket', async () => existsSync(node.footprint.containerdSocket));
  importImages(o.nodeArtifacts, node.footprint.containerdSocket);
  const [port, healthz] = await Promise.all([freePort(), freePort()]);
  const kubelet = new ManagedProcess('kubelet', o.logDir);
  o.launch(kubelet, o.nodeArtifacts.kubelet, node.kubeletArgs({ port: port!, healthz: healthz! }), env);
  const core = kc.makeApiClient(CoreV1Api);
  await kubelet.waitUntil(
    'node Ready',
    async () => {
      const n = await core.readNode({ name: realNodeName });
      return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    90_000,
  );
}

function etcdArgs(dir: string, port: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=local',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=local=${peer}`,
    // A throwaway cluster: durability is not worth an fsync per write.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

function apiserverArgs(dir: string, pki: Pki, etcdPort: number, port: number): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=RBAC',
    // As real clusters run: what keeps tenants' pods unprivileged is deploy/'s policy and Pod Security, not this flag.
    '--allow-privileged=true',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // Loopback addresses may not back the kubernetes Service's endpoints.
    '--endpoint-reconciler-type=none',
    '--v=1',
  ];
}

function tokenWebhookArgs(dir: string, url: string): string[] {
  const file = join(dir, 'token-webhook.kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'webhook', cluster: { server: url } }],
      users: [{ name: 'apiserver', user: {} }],
      contexts: [{ name: 'webhook', context: { cluster: 'webhook', user: 'apiserver' } }],
      'current-context': 'webhook',
    }),
  );
  // A short cache, so that a test that revokes a mapping sees it refused soon after.
  return [`--authentication-token-webhook-config-file=${file}`, '--authentication-token-webhook-version=v1', '--authentication-token-webhook-cache-ttl=5s'];
}

/** What the controller manager and the scheduler share: the admin kubeconfig for all three uses, and a loopback port. */
function componentArgs(kubeconfig: string, port: number): string[] {
  const uses = ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig'].map((flag) => `--${flag}=${kubeconfig}`);
  return [...uses, '--bind-address=127.0.0.1', `--secure-port=${port}`, '--leader-elect=false', '--v=1'];
}

function controllerManagerArgs(kubeconfig: string, pki: Pki, port: number): string[] {
  return [
    ...componentArgs(kubeconfig, port),
    // The default set: PV binding, Job, TTL-after-finished, garbage collector, namespace, PVC protection and the rest.
    '--controllers=*',
    `--service-account-private-key-file=${pki.serviceAccountKey}`,
    `--root-ca-file=${pki.caCert}`,
    // Binding is event-driven; the periodic resync only matters for retries, so keep it short for a test cluster.
    '--pvclaimbinder-sync-period=2s',
  ];
}

function schedulerArgs(kubeconfig: string, port: number): string[] {
  return componentArgs(kubeconfig, port);
}

function kwokArgs(kubeconfig: string): string[] {
  const stagesDir = join(import.meta.dirname, '../controlplane/kwok/stages');
  const stages = [
    'node-initialize',
    'node-heartbeat-with-lease',
    'pod-ready',
    'pod-complete',
    'pod-delete',
    'pod-test-fail-exit',
    'pod-test-fail-image',
    'pod-test-fail-mount',
  ];
  return [
    `--kubeconfig=${kubeconfig}`,
    ...stages.map((s) => `--config=${join(stagesDir, `${s}.yaml`)}`),
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--cidr=10.244.0.0/16',
    '--node-ip=10.0.0.1',
    '--node-lease-duration-seconds=40',
  ];
}
