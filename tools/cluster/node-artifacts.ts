// Finds, or makes once and caches, what the real node runs: kubelet, containerd and its shim, CNI plugins and a pause
// program built from the Go modules pinned in tools/node/; runc and busybox from Debian's packages; and the two images
// the node holds (no registry is ever reached): busybox:1.28.4, the seeds' image, and the sandbox image.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildMissing, cacheDirOf, type GoModule, goModule, kubeVersionFlags, userCache } from './binaries.ts';

const nodeModulesDir = resolve(import.meta.dirname, '../node');

/** Paths of everything the real node needs. */
export interface NodeArtifacts {
  /** Folder holding the programs, the CNI plugins among them. */
  bin: string;
  kubelet: string;
  containerd: string;
  ctr: string;
  runc: string;
  /** Image archives to import, by the reference they are tagged with. */
  images: Record<string, string>;
}

export const busyboxImage = 'docker.io/library/busybox:1.28.4';
export const sandboxImage = 'moop.local/pause:1';
const debianPackages = ['runc', 'busybox-static'];
/** Raise when the way images or Debian files are made changes, so that caches are remade. */
const recipe = 'node-recipe-1';

function nodeModules(): GoModule[] {
  return [
    goModule(
      join(nodeModulesDir, 'kubelet'),
      'k8s.io/kubernetes',
      { kubelet: 'k8s.io/kubernetes/cmd/kubelet' },
      kubeVersionFlags,
    ),
    goModule(
      join(nodeModulesDir, 'containerd'),
      'github.com/containerd/containerd/v2',
      {
        containerd: 'github.com/containerd/containerd/v2/cmd/containerd',
        'containerd-shim-runc-v2': 'github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2',
        ctr: 'github.com/containerd/containerd/v2/cmd/ctr',
      },
      () => '',
    ),
    goModule(
      join(nodeModulesDir, 'cni'),
      'github.com/containernetworking/plugins',
      {
        bridge: 'github.com/containernetworking/plugins/plugins/main/bridge',
        'host-local': 'github.com/containernetworking/plugins/plugins/ipam/host-local',
        loopback: 'github.com/containernetworking/plugins/plugins/main/loopback',
      },
      () => '',
    ),
    goModule(join(nodeModulesDir, 'pause'), '', { pause: '.' }, () => ''),
  ];
}

/** The cache folder of this exact node: its Go modules, the Debian packages and the image recipe. */
export function nodeCacheDir(): string {
  return cacheDirOf(nodeModules(), process.env.MOOP_NODE_CACHE ?? userCache('moop-node'), [
    ...debianPackages,
    busyboxImage,
    sandboxImage,
    recipe,
  ]);
}

type Log = (line: string) => void;

/** Returns the node's artifacts, building or fetching once what the cache lacks. */
export async function ensureNodeArtifacts(log: Log): Promise<NodeArtifacts> {
  const out = nodeCacheDir();
  await buildMissing(nodeModules(), out, log, 'node');
  const images = { [busyboxImage]: join(out, 'busybox.tar'), [sandboxImage]: join(out, 'pause.tar') };
  if (!existsSync(join(out, 'runc')) || Object.values(images).some((f) => !existsSync(f))) {
    const started = Date.now();
    log(
      `[node] first run: fetching Debian's ${debianPackages.join(' and ')} and writing the node's images into ${out}`,
    );
    const work = mkdtempSync(join(tmpdir(), 'moop-node-build-'));
    try {
      const unpacked = debianFiles(work);
      copyFileSync(join(unpacked, 'usr/sbin/runc'), join(work, 'runc'));
      writeImage(
        join(work, 'busybox.tar'),
        busyboxImage,
        busyboxLayer(join(unpacked, 'bin/busybox'), join(work, 'busybox-root')),
        { Cmd: ['sh'] },
      );
      const pauseRoot = join(work, 'pause-root');
      mkdirSync(pauseRoot);
      copyFileSync(join(out, 'pause'), join(pauseRoot, 'pause'));
      writeImage(join(work, 'pause.tar'), sandboxImage, pauseRoot, { Entrypoint: ['/pause'] });
      // Renamed last, one by one, so that a concurrent run never sees half of them.
      for (const f of ['runc', 'busybox.tar', 'pause.tar']) renameSync(join(work, f), join(out, f));
      execFileSync('chmod', ['0755', join(out, 'runc')]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    log(`[node] runc and images ready in ${Math.round((Date.now() - started) / 1000)}s`);
  }
  return {
    bin: out,
    kubelet: join(out, 'kubelet'),
    containerd: join(out, 'containerd'),
    ctr: join(out, 'ctr'),
    runc: join(out, 'runc'),
    images,
  };
}

/**
 * Downloads the Debian packages with apt (no install: nothing on the machine changes) and unpacks them into one tree.
 */
function debianFiles(work: string): string {
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  mkdirSync(debs);
  mkdirSync(root);
  try {
    execFileSync('apt-get', ['download', ...debianPackages], { cwd: debs, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(
      `apt-get download ${debianPackages.join(' ')} failed: ${(err as { stderr?: Buffer }).stderr?.toString() ?? String(err)}`,
    );
  }
  for (const deb of readdirSync(debs)) execFileSync('dpkg', ['-x', join(debs, deb), root]);
  return root;
}

/** A root holding busybox and a link per applet, as the busybox image has it. */
function busyboxLayer(busybox: string, root: string): string {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'tmp'));
  copyFileSync(busybox, join(root, 'bin/busybox'));
  execFileSync('chmod', ['0755', join(root, 'bin/busybox')]);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
  return root;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Writes an image archive in `docker save` layout (one layer, its config, manifest.json), which ctr imports. */
function writeImage(
  out: string,
  reference: string,
  root: string,
  config: { Cmd?: string[]; Entrypoint?: string[] },
): void {
  const dir = mkdtempSync(join(tmpdir(), 'moop-image-'));
  try {
    const tarFlags = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
    execFileSync('tar', [...tarFlags, '-C', root, '-cf', join(dir, 'layer.tar'), '.']);
    const imageConfig = {
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'], ...config },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(join(dir, 'layer.tar'))}`] },
    };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(imageConfig));
    const configName = `${sha256(join(dir, 'config.json'))}.json`;
    renameSync(join(dir, 'config.json'), join(dir, configName));
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify([{ Config: configName, RepoTags: [reference], Layers: ['layer.tar'] }]),
    );
    execFileSync('tar', ['-C', dir, '-cf', out, 'manifest.json', configName, 'layer.tar']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
