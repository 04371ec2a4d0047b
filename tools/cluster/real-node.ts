// One real node beside the kwok nodes: kubelet with containerd, runc and CNI bridge, so that copy pods that ask for it
// (label and taint moop.io/real-node=true) really run. Stopping undoes everything the node did to the machine:
// processes, mounts, cgroups, the bridge, and the files it left in shared folders. Every step of the undo is
// synchronous, so that it also runs in an exit handler and in the next start's clean-up of a killed run; nothing is
// removed from disk while anything is still mounted below the node's folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeArtifacts } from './node-artifacts.ts';
import { sandboxImage } from './node-artifacts.ts';
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
  if (process.getuid?.() !== 0) return 'the real node needs root: kubelet and containerd mount volumes and make cgroups';
  if (!existsSync(join(cgroupRoot, 'pids')) && !existsSync(join(cgroupRoot, 'cgroup.controllers'))) return `no cgroups are mounted at ${cgroupRoot}`;
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['umount', ['-V']],
    ['tar', ['--version']],
  ] as const) {
    if (spawnSync(tool, args).status !== 0) return `the ${tool} command is missing`;
  }
  return undefined;
}

/** The footprint of the node of the cluster in clusterDir: names derived from the folder, so that clusters never share one. */
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

const run = (cmd: string, args: string[]): void => void execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Makes the node's cgroup root and bridge, and records them; containerd and kubelet are started by the caller. */
export function prepareRealNode(
  clusterDir: string,
  art: NodeArtifacts,
  ca: { cert: string; key: string },
  server: string,
): { footprint: ReturnType<typeof footprintOf>; containerdArgs: string[]; kubeletArgs: (ports: { port: number; healthz: number }) => string[] } {
  const fp = footprintOf(clusterDir);
  const { dir } = fp;
  for (const d of ['containerd', 'kubelet', 'cni/net.d', 'cni/ipam', 'runc', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(
    join(dir, footprintFile),
    JSON.stringify({ dir, bridge: fp.bridge, cgroup: fp.cgroup, containerdSocket: fp.containerdSocket, network: fp.network } satisfies RealNodeFootprint),
  );
  for (const d of cgroupDirs(fp.cgroup)) mkdirSync(d, { recursive: true });
  run('ip', ['link', 'add', fp.bridge, 'type', 'bridge']);
  run('ip', ['addr', 'add', `${fp.ip}/32`, 'dev', fp.bridge]);
  run('ip', ['link', 'set', fp.bridge, 'up']);

  // Pods need no network to copy, only a sandbox: a bridge without gateway or masquerade (no iptables here).
  writeFileSync(
    join(dir, 'cni/net.d/10-moop.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: fp.network,
      plugins: [
        {
          type: 'bridge',
          bridge: fp.bridge,
          isGateway: false,
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: fp.podSubnet }]], dataDir: join(dir, 'cni/ipam') },
        },
        { type: 'loopback' },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'containerd/config.toml'),
    `version = 3
root = "${join(dir, 'containerd/root')}"
state = "${join(dir, 'containerd/state')}"
[grpc]
  address = "${fp.containerdSocket}"
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

  // The node's identity: a client certificate of the system:nodes group, also serving its own API.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'kubelet.key'),
      '-out',
      join(dir, 'kubelet.crt'),
      '-days',
      '7',
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-subj',
      `/O=system:nodes/CN=system:node:${realNodeName}`,
      '-addext',
      'extendedKeyUsage=clientAuth,serverAuth',
      '-addext',
      `subjectAltName=IP:${fp.ip}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  writeFileSync(
    join(dir, 'kubeconfig'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster: { server, 'certificate-authority': ca.cert } }],
      users: [{ name: 'node', user: { 'client-certificate': join(dir, 'kubelet.crt'), 'client-key': join(dir, 'kubelet.key') } }],
      contexts: [{ name: 'node', context: { cluster: 'local', user: 'node' } }],
      'current-context': 'node',
    }),
  );
  const kubeletConfig = (ports: { port: number; healthz: number }): string =>
    JSON.stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // These machines run cgroup v1, with swap, under no systemd.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      failSwapOn: false,
      cgroupRoot: `/${fp.cgroup}`,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: ca.cert } },
      authorization: { mode: 'AlwaysAllow' },
      tlsCertFile: join(dir, 'kubelet.crt'),
      tlsPrivateKeyFile: join(dir, 'kubelet.key'),
      containerRuntimeEndpoint: `unix://${fp.containerdSocket}`,
      registerWithTaints: [realNodeTaint],
      address: fp.ip,
      port: ports.port,
      healthzBindAddress: '127.0.0.1',
      healthzPort: ports.healthz,
      readOnlyPort: 0,
      podLogsDir: join(dir, 'pod-logs'),
      // A test machine's disk is not the node's to guard: no evictions, no image garbage collection.
      evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
      imageGCHighThresholdPercent: 100,
      enforceNodeAllocatable: [],
    });
  return {
    footprint: fp,
    containerdArgs: ['--config', join(dir, 'containerd/config.toml')],
    kubeletArgs: (ports) => {
      writeFileSync(join(dir, 'kubelet.json'), kubeletConfig(ports));
      return [
        `--config=${join(dir, 'kubelet.json')}`,
        `--kubeconfig=${join(dir, 'kubeconfig')}`,
        `--root-dir=${join(dir, 'kubelet')}`,
        `--hostname-override=${realNodeName}`,
        `--node-ip=${fp.ip}`,
        `--node-labels=${realNodeTaint.key}=${realNodeTaint.value}`,
        '--v=1',
      ];
    },
  };
}

/** Loads the node's images into containerd's Kubernetes namespace (the node never reaches a registry). */
export function importImages(art: NodeArtifacts, socket: string): void {
  for (const archive of Object.values(art.images)) run(art.ctr, ['-a', socket, '-n', 'k8s.io', 'images', 'import', archive]);
}

function pidsIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  dirs.forEach(walk);
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
  for (let i = 0; i < 50; i++) {
    const left = [...pidsIn(cgroups), ...processesNaming(fp.containerdSocket)].filter((p) => p !== process.pid);
    if (left.length === 0) break;
    left.forEach(killQuietly);
    sleepSync(100);
  }
  // Deepest first; lazily, so that a busy mount is detached now and freed when its last user is gone.
  for (const mount of mountsBelow(fp.dir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', mount]);
  for (const d of cgroups) {
    if (!existsSync(d)) continue;
    const dirs: string[] = [];
    const walk = (x: string): void => {
      for (const e of readdirSync(x, { withFileTypes: true })) if (e.isDirectory()) walk(join(x, e.name));
      dirs.push(x);
    };
    walk(d);
    for (const x of dirs) {
      try {
        rmdirSync(x);
      } catch {
        // a process still exiting; the next clean-up takes it
      }
    }
  }
  spawnSync('ip', ['link', 'del', fp.bridge], { stdio: 'ignore' });
  // Shared folders: only the node's own entries, and the folders themselves only once empty (another node may use them).
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
  for (const d of sharedDirs) {
    try {
      rmdirSync(d);
    } catch {
      // not empty, or not there
    }
  }
  if (mountsBelow(fp.dir).length > 0) return false;
  try {
    unlinkSync(file);
  } catch {
    // gone with the folder
  }
  return true;
}
