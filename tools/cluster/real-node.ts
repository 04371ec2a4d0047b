// One real node beside the kwok nodes: kubelet with containerd, runc and CNI bridge, so that copy pods that ask for it
// (label and taint moop.io/real-node=true) really run. Stopping undoes everything the node did to the machine:
// processes, mounts, cgroups, the bridge, and the files it left in shared folders. Every step of the undo is
// synchronous, so that it also runs in an exit handler and in the next start's clean-up of a killed run; nothing is
// removed from disk while anything is still mounted below the node's folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeKubeconfig } from './kubeconfig.ts';
import type { NodeArtifacts } from './node-artifacts.ts';
import { sandboxImage } from './node-artifacts.ts';
import { issueCertificate, type KeyPair } from './pki.ts';
import { commandLines, killQuietly } from './processes.ts';

export const realNodeName = 'moop-real-node';
/** The node's label and taint: only pods that select and tolerate it run there. */
export const realNodeTaint = { key: 'moop.io/real-node', value: 'true', effect: 'NoSchedule' } as const;

/** What the node changed on the machine, recorded in its folder so that a later start can undo it. */
export interface RealNodeFootprint {
  dir: string;
  bridge: string;
  cgroup: string;
  containerdSocket: string;
  network: string;
}

const footprintFile = 'footprint.json';
/** Where every kubelet links its containers' logs, whatever its pod log folder. */
const containerLogLinks = '/var/log/containers';
const cgroupRoot = '/sys/fs/cgroup';
/** Folders outside the node's own that kubelet, containerd and CNI write to whatever they are told. */
const sharedDirs = [
  '/run/containerd/s',
  '/run/containerd/runc',
  '/run/containerd',
  '/var/lib/cni/results',
  '/var/lib/cni',
  '/var/lib/kubelet/device-plugins',
  '/var/lib/kubelet',
  containerLogLinks,
];

/** Why this machine cannot run the real node, or undefined when it can. */
export function realNodeUnsupported(): string | undefined {
  if (process.platform !== 'linux') return 'the real node needs Linux';
  if (process.getuid?.() !== 0)
    return 'the real node needs root: kubelet and containerd mount volumes and make cgroups';
  if (!existsSync(join(cgroupRoot, 'pids')) && !existsSync(join(cgroupRoot, 'cgroup.controllers')))
    return `no cgroups are mounted at ${cgroupRoot}`;
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['umount', ['-V']],
    ['tar', ['--version']],
  ] as const) {
    if (spawnSync(tool, args).status !== 0) return `the ${tool} command is missing`;
  }
  return undefined;
}

/**
 * The footprint of the node of the cluster in clusterDir: names derived from the folder, so that clusters never share
 * one.
 */
export function footprintOf(clusterDir: string): RealNodeFootprint & { ip: string; podSubnet: string } {
  const h = createHash('sha256').update(clusterDir).digest();
  const suffix = h.toString('hex').slice(0, 6);
  const dir = join(clusterDir, 'node');
  return {
    dir,
    bridge: `moopbr${suffix}`,
    cgroup: `moop-node-${suffix}`,
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    network: `moop-${suffix}`,
    ip: `192.0.2.${2 + (h[3]! % 250)}`,
    podSubnet: `10.89.${h[4]}.0/24`,
  };
}

function cgroupDirs(cgroup: string): string[] {
  if (existsSync(join(cgroupRoot, 'cgroup.controllers'))) return [join(cgroupRoot, cgroup)];
  return readdirSync(cgroupRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(cgroupRoot, e.name, cgroup));
}

const run = (cmd: string, args: string[]): void =>
  void execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

type Footprint = ReturnType<typeof footprintOf>;
type KubeletPorts = { port: number; healthz: number };

/** Makes the node's cgroup root and bridge, and records them; containerd and kubelet are started by the caller. */
export function prepareRealNode(
  clusterDir: string,
  art: NodeArtifacts,
  ca: KeyPair,
  server: string,
): { footprint: Footprint; containerdArgs: string[]; kubeletArgs: (ports: KubeletPorts) => string[] } {
  const fp = footprintOf(clusterDir);
  for (const d of ['containerd', 'kubelet', 'cni/net.d', 'cni/ipam', 'runc', 'logs'])
    mkdirSync(join(fp.dir, d), { recursive: true });
  const { dir, bridge, cgroup, containerdSocket, network } = fp;
  writeFileSync(
    join(dir, footprintFile),
    JSON.stringify({ dir, bridge, cgroup, containerdSocket, network } satisfies RealNodeFootprint),
  );
  makeCgroupsAndBridge(fp);
  writeCniConfig(fp);
  writeContainerdConfig(fp, art);
  issueNodeIdentity(fp, ca, server);
  return {
    footprint: fp,
    containerdArgs: ['--config', join(dir, 'containerd/config.toml')],
    kubeletArgs: (ports) => {
      writeFileSync(join(dir, 'kubelet.json'), JSON.stringify(kubeletConfig(fp, ca.cert, ports)));
      return kubeletArgs(fp);
    },
  };
}

function makeCgroupsAndBridge(fp: Footprint): void {
  for (const d of cgroupDirs(fp.cgroup)) mkdirSync(d, { recursive: true });
  run('ip', ['link', 'add', fp.bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${fp.ip}/32`, 'dev', fp.bridge]);
  run('ip', ['link', 'set', fp.bridge, 'up']);
}

/** Pods need no network to copy, only a sandbox: a bridge without gateway or masquerade (no iptables here). */
function writeCniConfig(fp: Footprint): void {
  const bridge = {
    type: 'bridge',
    bridge: fp.bridge,
    isGateway: false,
    ipMasq: false,
    ipam: { type: 'host-local', ranges: [[{ subnet: fp.podSubnet }]], dataDir: join(fp.dir, 'cni/ipam') },
  };
  writeFileSync(
    join(fp.dir, 'cni/net.d/10-moop.conflist'),
    JSON.stringify({ cniVersion: '1.0.0', name: fp.network, plugins: [bridge, { type: 'loopback' }] }),
  );
}

function writeContainerdConfig({ dir, containerdSocket }: Footprint, art: NodeArtifacts): void {
  writeFileSync(
    join(dir, 'containerd/config.toml'),
    `version = 3
root = "${join(dir, 'containerd/root')}"
state = "${join(dir, 'containerd/state')}"
[grpc]
  address = "${containerdSocket}"
[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  # These machines lack CAP_SYS_RESOURCE: a negative oom_score_adj cannot be written and every sandbox would fail.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '${art.runc}'
        Root = '${join(dir, 'runc')}'
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['${art.bin}']
    conf_dir = '${join(dir, 'cni/net.d')}'
[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '${sandboxImage}'
`,
  );
}

/**
 * The node's identity: a client certificate of the system:nodes group, also serving its own API, and its kubeconfig.
 */
function issueNodeIdentity(fp: Footprint, ca: KeyPair, server: string): void {
  const identity = { key: join(fp.dir, 'kubelet.key'), cert: join(fp.dir, 'kubelet.crt') };
  issueCertificate(
    identity,
    `/O=system:nodes/CN=system:node:${realNodeName}`,
    ['extendedKeyUsage=clientAuth,serverAuth', `subjectAltName=IP:${fp.ip}`],
    ca,
  );
  writeKubeconfig(join(fp.dir, 'kubeconfig'), {
    server,
    caFile: ca.cert,
    user: realNodeName,
    credentials: { certFile: identity.cert, keyFile: identity.key },
  });
}

function kubeletConfig(fp: Footprint, caCert: string, ports: KubeletPorts): object {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // These machines run cgroup v1, with swap, under no systemd.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    cgroupRoot: `/${fp.cgroup}`,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: caCert } },
    authorization: { mode: 'AlwaysAllow' },
    tlsCertFile: join(fp.dir, 'kubelet.crt'),
    tlsPrivateKeyFile: join(fp.dir, 'kubelet.key'),
    containerRuntimeEndpoint: `unix://${fp.containerdSocket}`,
    registerWithTaints: [realNodeTaint],
    address: fp.ip,
    port: ports.port,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.healthz,
    readOnlyPort: 0,
    podLogsDir: join(fp.dir, 'pod-logs'),
    // A test machine's disk is not the node's to guard: no evictions, no image garbage collection.
    evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
    imageGCHighThresholdPercent: 100,
    enforceNodeAllocatable: [],
  };
}

function kubeletArgs(fp: Footprint): string[] {
  return [
    `--config=${join(fp.dir, 'kubelet.json')}`,
    `--kubeconfig=${join(fp.dir, 'kubeconfig')}`,
    `--root-dir=${join(fp.dir, 'kubelet')}`,
    `--hostname-override=${realNodeName}`,
    `--node-ip=${fp.ip}`,
    `--node-labels=${realNodeTaint.key}=${realNodeTaint.value}`,
    '--v=1',
  ];
}

/** Loads the node's images into containerd's Kubernetes namespace (the node never reaches a registry). */
export function importImages(art: NodeArtifacts, socket: string): void {
  for (const archive of Object.values(art.images))
    run(art.ctr, ['-a', socket, '-n', 'k8s.io', 'images', 'import', archive]);
}

/** The cgroup folder d and every folder below it, deepest first; none if d is gone. */
function cgroupTree(d: string): string[] {
  if (!existsSync(d)) return [];
  const below = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory());
  return [...below.flatMap((e) => cgroupTree(join(d, e.name))), d];
}

function pidsIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const procs of dirs.flatMap(cgroupTree).map((d) => join(d, 'cgroup.procs'))) {
    if (!existsSync(procs)) continue;
    for (const line of readFileSync(procs, 'utf8').split('\n')) if (line) pids.add(Number(line));
  }
  return [...pids];
}

/** Processes whose command line names text (the node's containerd socket: its shims). */
function processesNaming(text: string): number[] {
  return commandLines()
    .filter((p) => p.cmdline.includes(text))
    .map((p) => p.pid);
}

function anyKubeletRunning(): boolean {
  return commandLines().some((p) => (p.cmdline.split('\0')[0] ?? '').endsWith('/kubelet'));
}

function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
}

/**
 * Undoes the node recorded in clusterDir, whether its processes still run or not: kills what runs in its cgroups
 * and its shims (kubelet and containerd are the caller's to stop first), unmounts everything below its folder,
 * removes its cgroups, bridge and its files in shared folders. Returns false, leaving its folder, if a mount stays.
 */
export function undoRealNode(clusterDir: string): boolean {
  const file = join(clusterDir, 'node', footprintFile);
  if (!existsSync(file)) return true;
  const fp = JSON.parse(readFileSync(file, 'utf8')) as RealNodeFootprint;
  const cgroups = cgroupDirs(fp.cgroup);
  killNodeProcesses(fp, cgroups);
  // Deepest first; lazily, so that a busy mount is detached now and freed when its last user is gone.
  for (const mount of mountsBelow(fp.dir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mount]);
  // A cgroup that a process still exiting holds stays: the next clean-up takes it.
  for (const d of cgroups.flatMap(cgroupTree)) removeQuietly(d);
  spawnSync('ip', ['link', 'del', fp.bridge], { stdio: 'ignore' });
  removeSharedEntries(fp);
  if (mountsBelow(fp.dir).length > 0) return false;
  try {
    unlinkSync(file);
  } catch {
    // gone with the folder
  }
  return true;
}

/** Kills what runs in the node's cgroups and its shims, until none is left (5 s at most). */
function killNodeProcesses(fp: RealNodeFootprint, cgroups: string[]): void {
  for (let i = 0; i < 50; i++) {
    const left = [...pidsIn(cgroups), ...processesNaming(fp.containerdSocket)].filter((p) => p !== process.pid);
    if (left.length === 0) break;
    left.forEach(killQuietly);
    sleepSync(100);
  }
}

/** Removes an empty folder, unless it is not empty or not there. */
function removeQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty, or not there
  }
}

/**
 * Shared folders: only the node's own entries, and the folders themselves only once empty (another node may use them).
 */
function removeSharedEntries(fp: RealNodeFootprint): void {
  for (const f of existsSync(containerLogLinks) ? readdirSync(containerLogLinks) : []) {
    try {
      if (readlinkSync(join(containerLogLinks, f)).startsWith(`${fp.dir}/`)) unlinkSync(join(containerLogLinks, f));
    } catch {
      // not a link
    }
  }
  for (const f of existsSync('/var/lib/cni/results') ? readdirSync('/var/lib/cni/results') : []) {
    if (f.startsWith(`${fp.network}-`)) rmSync(join('/var/lib/cni/results', f), { force: true });
  }
  // Every kubelet makes this socket at a fixed path: it goes once no kubelet runs.
  if (!anyKubeletRunning()) rmSync('/var/lib/kubelet/device-plugins/kubelet.sock', { force: true });
  sharedDirs.forEach(removeQuietly);
}
