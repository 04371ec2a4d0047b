// Starts and stops a real local Kubernetes control plane: etcd, kube-apiserver (TLS, RBAC, service-account tokens),
// kube-controller-manager, kube-scheduler and kwok with fake nodes, all on free loopback ports; and one real node
// (kubelet, containerd, runc) on which copy pods that ask for it really run.

import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type Binaries, ensureBinaries } from './binaries.ts';
import { bootstrap } from './bootstrap.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { ensureNodeArtifacts, type NodeArtifacts } from './node-artifacts.ts';
import { createPki, type Pki } from './pki.ts';
import { freePort, ManagedProcess, probe } from './processes.ts';
import { importImages, prepareRealNode, realNodeName, realNodeUnsupported } from './real-node.ts';
import {
  type Companions,
  clusterDirPrefix,
  reapStaleClusters,
  recordOwner,
  removeClusterDir,
  removeClusterOnExit,
} from './reaper.ts';

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
  const run = new ClusterRun(options.kubeconfigDir, log);
  try {
    const plane = await startControlPlane(run, bins, options.tokenWebhookUrl);
    const serviceKubeconfig = join(run.kubeconfigDir, 'kubeconfig-service');
    const token = await bootstrap(plane.adminKubeconfig, options.nodes ?? 2, (what, check) =>
      plane.components.kwok.proc.waitUntil(what, check),
    );
    writeKubeconfig(serviceKubeconfig, {
      server: plane.server,
      caFile: plane.pki.caCert,
      user: 'moop-resource-service',
      credentials: { token },
    });
    if (nodeArtifacts) {
      const nodeStarted = Date.now();
      await startRealNode(run, plane, nodeArtifacts);
      log(`[cluster] real node ${realNodeName} Ready in ${((Date.now() - nodeStarted) / 1000).toFixed(1)}s`);
    }
    log(`[cluster] ready at ${plane.server} in ${((Date.now() - started) / 1000).toFixed(1)}s (logs in ${run.logDir})`);
    return localCluster(run, plane, serviceKubeconfig, nodeArtifacts ? realNodeName : undefined);
  } catch (err) {
    await run.stop();
    throw err;
  }
}

/** A cluster's folder and processes, recorded as they start so that they go with their owner however it ends. */
class ClusterRun {
  readonly dir = mkdtempSync(join(tmpdir(), clusterDirPrefix));
  readonly logDir = join(this.dir, 'logs');
  /** Where the kubeconfigs go. */
  readonly kubeconfigDir: string;
  readonly processes: ManagedProcess[] = [];
  private readonly companions: Companions = { groups: [], folders: [] };
  private readonly forgetOnExit: () => void;
  private readonly log: Log;

  constructor(kubeconfigDir: string | undefined, log: Log) {
    this.log = log;
    mkdirSync(this.logDir);
    this.kubeconfigDir = kubeconfigDir ?? this.dir;
    mkdirSync(this.kubeconfigDir, { recursive: true });
    this.forgetOnExit = removeClusterOnExit(
      this.dir,
      () => this.pids(),
      () => this.companions,
    );
  }

  private pids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** A program of the cluster, logging into its log folder. */
  process(name: string): ManagedProcess {
    return new ManagedProcess(name, this.logDir);
  }

  /** Starts (or starts again) proc, and records it. */
  launch(proc: ManagedProcess, bin: string, args: string[], env?: NodeJS.ProcessEnv): void {
    if (!this.processes.includes(proc)) this.processes.push(proc);
    proc.start(bin, args, env);
    recordOwner(this.dir, this.pids(), this.companions);
  }

  adopt(companion: { group: number; folder?: string }): void {
    this.companions.groups.push(companion.group);
    if (companion.folder) this.companions.folders.push(companion.folder);
    recordOwner(this.dir, this.pids(), this.companions);
  }

  /** Stops the processes, last started first, and removes the folder. */
  async stop(): Promise<void> {
    for (const p of [...this.processes].reverse()) await p.stop();
    this.forgetOnExit();
    if (!removeClusterDir(this.dir))
      this.log(`[cluster] something stays mounted below ${this.dir}: left in place, the next start removes it`);
  }
}

/** A program that watches the API server, with the loopback port of its health check if it has one. */
interface Component {
  proc: ManagedProcess;
  bin: string;
  args: string[];
  healthPort?: number;
}

/** The API server: started (again) and thawed by tests, ready once /readyz answers. */
interface ApiServer {
  proc: ManagedProcess;
  start(): Promise<void>;
  ready(): Promise<void>;
}

/** A running control plane. */
interface ControlPlane {
  server: string;
  pki: Pki;
  adminKubeconfig: string;
  apiserver: ApiServer;
  components: { controllerManager: Component; scheduler: Component; kwok: Component };
}

/** Starts etcd, the API server, the controller manager, the scheduler and kwok; resolves once each is healthy. */
async function startControlPlane(
  run: ClusterRun,
  bins: Binaries,
  tokenWebhookUrl: string | undefined,
): Promise<ControlPlane> {
  const pki = createPki(run.dir);
  const [etcdPort, peerPort, apiPort, kcmPort, schedulerPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const server = `https://127.0.0.1:${apiPort}`;
  const adminKubeconfig = join(run.kubeconfigDir, 'kubeconfig');
  writeKubeconfig(adminKubeconfig, {
    server,
    caFile: pki.caCert,
    user: 'moop-local-admin',
    credentials: { certFile: pki.adminCert, keyFile: pki.adminKey },
  });

  const etcd = run.process('etcd');
  run.launch(etcd, bins.etcd, etcdArgs(run.dir, etcdPort!, peerPort!));
  await etcd.waitUntil('health', async () => (await probe(`http://127.0.0.1:${etcdPort}/health`)) === 200);

  const apiArgs = [
    ...apiserverArgs(run.dir, pki, etcdPort!, apiPort!),
    ...(tokenWebhookUrl ? tokenWebhookArgs(run.dir, tokenWebhookUrl) : []),
  ];
  const apiserver = apiServer(run, bins['kube-apiserver'], apiArgs, server, pki);
  await apiserver.start();

  const components = {
    controllerManager: component(
      run,
      'kube-controller-manager',
      bins['kube-controller-manager'],
      controllerManagerArgs(adminKubeconfig, pki, kcmPort!),
      kcmPort,
    ),
    scheduler: component(
      run,
      'kube-scheduler',
      bins['kube-scheduler'],
      schedulerArgs(adminKubeconfig, schedulerPort!),
      schedulerPort,
    ),
    kwok: component(run, 'kwok', bins.kwok, kwokArgs(adminKubeconfig)),
  };
  await startComponents(run, Object.values(components));
  return { server, pki, adminKubeconfig, apiserver, components };
}

function apiServer(run: ClusterRun, bin: string, args: string[], server: string, pki: Pki): ApiServer {
  const proc = run.process('kube-apiserver');
  const tls = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) };
  const ready = (): Promise<void> =>
    proc.waitUntil('readyz', async () => (await probe(`${server}/readyz`, tls)) === 200, 90_000);
  return {
    proc,
    ready,
    start: async () => {
      run.launch(proc, bin, args);
      await ready();
    },
  };
}

function component(run: ClusterRun, name: string, bin: string, args: string[], healthPort?: number): Component {
  return { proc: run.process(name), bin, args, healthPort };
}

/** Launches the components, then waits until each that has a health port answers on it. */
async function startComponents(run: ClusterRun, components: Component[]): Promise<void> {
  for (const c of components) run.launch(c.proc, c.bin, c.args);
  for (const { proc, healthPort } of components) {
    if (healthPort)
      await proc.waitUntil(
        'healthz',
        async () => (await probe(`https://127.0.0.1:${healthPort}/healthz`, { insecure: true })) === 200,
      );
  }
}

// After an outage of the API server, the controllers' watches retry with a backoff that grows to 30 s: restarting
// the controller manager and the scheduler hands tests a cluster that works again at once, as it would be once the
// backoff ran out. Not kwok: a new kwok waits for its nodes' leases, held by the old one, to expire (about 30 s).
async function restartControllers(run: ClusterRun, { components }: ControlPlane): Promise<void> {
  const controllers = [components.controllerManager, components.scheduler];
  for (const { proc } of controllers) await proc.stop();
  await startComponents(run, controllers);
}

function localCluster(
  run: ClusterRun,
  plane: ControlPlane,
  serviceKubeconfig: string,
  realNode: string | undefined,
): LocalCluster {
  const { apiserver } = plane;
  return {
    server: plane.server,
    caFile: plane.pki.caCert,
    adminKubeconfig: plane.adminKubeconfig,
    serviceKubeconfig,
    dir: run.dir,
    processes: run.processes,
    realNode,
    adopt: (companion) => run.adopt(companion),
    stopApiServer: () => apiserver.proc.stop(),
    pauseApiServer: () => apiserver.proc.signal('SIGSTOP'),
    resumeApiServer: async () => {
      apiserver.proc.signal('SIGCONT');
      await apiserver.ready();
      await restartControllers(run, plane);
    },
    startApiServer: async () => {
      if (!apiserver.proc.running) await apiserver.start();
      await restartControllers(run, plane);
    },
    stop: () => run.stop(),
  };
}

/** Starts containerd and kubelet of the real node and returns once the node is Ready. */
async function startRealNode(run: ClusterRun, plane: ControlPlane, art: NodeArtifacts): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(plane.adminKubeconfig);
  // Kubelets are authorised by RBAC alone here (no Node authorizer): the node role for the nodes' group.
  await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      metadata: { name: 'moop-real-node' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    },
  });
  const node = prepareRealNode(run.dir, art, { cert: plane.pki.caCert, key: plane.pki.caKey }, plane.server);
  // containerd finds its shim, and the shim runc, on PATH.
  const env = { ...process.env, PATH: `${art.bin}:${process.env.PATH ?? ''}` };
  const containerd = run.process('containerd');
  run.launch(containerd, art.containerd, node.containerdArgs, env);
  await containerd.waitUntil('its socket', async () => existsSync(node.footprint.containerdSocket));
  importImages(art, node.footprint.containerdSocket);
  const [port, healthz] = await Promise.all([freePort(), freePort()]);
  const kubelet = run.process('kubelet');
  run.launch(kubelet, art.kubelet, node.kubeletArgs({ port: port!, healthz: healthz! }), env);
  const core = kc.makeApiClient(CoreV1Api);
  const ready = async (): Promise<boolean> => {
    const n = await core.readNode({ name: realNodeName });
    return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  };
  await kubelet.waitUntil('node Ready', ready, 90_000);
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
  writeKubeconfig(file, { server: url, user: 'apiserver' });
  // A short cache, so that a test that revokes a mapping sees it refused soon after.
  return [
    `--authentication-token-webhook-config-file=${file}`,
    '--authentication-token-webhook-version=v1',
    '--authentication-token-webhook-cache-ttl=5s',
  ];
}

/**
 * What the controller manager and the scheduler share: the admin kubeconfig for all three uses, and a loopback port.
 */
function componentArgs(kubeconfig: string, port: number): string[] {
  const uses = ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig'].map(
    (flag) => `--${flag}=${kubeconfig}`,
  );
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
