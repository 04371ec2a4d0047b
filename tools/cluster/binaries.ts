// Finds, or builds once and caches, the pinned control-plane binaries the local cluster runs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { killOnExit } from './processes.ts';

const modulesDir = resolve(import.meta.dirname, '../controlplane');

/** Paths of the five programs a local cluster needs. */
export interface Binaries {
  etcd: string;
  'kube-apiserver': string;
  'kube-controller-manager': string;
  'kube-scheduler': string;
  kwok: string;
}
export type BinaryName = keyof Binaries;

export interface GoModule {
  dir: string;
  /** The module whose version names the build, e.g. k8s.io/kubernetes. */
  source: string;
  version: string;
  /** Binary name to Go package path. */
  packages: Record<string, string>;
  ldflags: string;
}

function requiredVersion(goMod: string, module: string, dir: string): string {
  const match = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${module} is not required in ${dir}`);
  return match[1];
}

/** The Go module in dir (tools/controlplane/<name> unless absolute) that builds packages, named by source's version. */
export function goModule(
  name: string,
  source: string,
  packages: GoModule['packages'],
  ldflags: (v: string) => string,
): GoModule {
  const dir = resolve(modulesDir, name);
  const version = source === '' ? 'local' : requiredVersion(readFileSync(join(dir, 'go.mod'), 'utf8'), source, dir);
  return { dir, source, version, packages, ldflags: ldflags(version) };
}

/** The three pinned Go modules, read from tools/controlplane/<name>/go.mod. */
export function goModules(): GoModule[] {
  return [
    goModule(
      'kubernetes',
      'k8s.io/kubernetes',
      {
        'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
        'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
        'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
      },
      kubeVersionFlags,
    ),
    goModule('etcd', 'go.etcd.io/etcd/server/v3', { etcd: 'go.etcd.io/etcd/server/v3' }, () => ''),
    goModule('kwok', 'sigs.k8s.io/kwok', { kwok: 'sigs.k8s.io/kwok/cmd/kwok' }, () => ''),
  ];
}

/** Without these, Kubernetes binaries report v0.0.0-master and version checks between components misfire. */
export function kubeVersionFlags(v: string): string {
  const [major, minor] = v.slice(1).split('.');
  const pkg = 'k8s.io/component-base/version';
  return [
    `-X ${pkg}.gitVersion=${v}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X k8s.io/client-go/pkg/version.gitVersion=${v}`,
  ].join(' ');
}

/**
 * Cache folder for this exact set of modules; a change to any of their files (go.mod, go.sum, sources) gives a new one.
 */
export function cacheDirOf(mods: GoModule[], root: string, extra: string[] = []): string {
  const hash = createHash('sha256');
  for (const m of mods)
    for (const f of ['go.mod', 'go.sum', 'main.go'])
      if (existsSync(join(m.dir, f))) hash.update(readFileSync(join(m.dir, f)));
  for (const e of extra) hash.update(e);
  const label = mods.map((m) => `${m.dir.split('/').pop()}-${m.version}`).join('_');
  return join(root, `${label}_${hash.digest('hex').slice(0, 10)}`);
}

/** ~/.cache/<name> (or XDG_CACHE_HOME's). */
export const userCache = (name: string): string => join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), name);

/** Cache folder for this exact set of pinned versions; a change to any go.mod or go.sum gives a new one. */
export function cacheDir(): string {
  return cacheDirOf(goModules(), process.env.MOOP_CONTROLPLANE_CACHE ?? userCache('moop-controlplane'));
}

function firstExisting(name: BinaryName, dirs: string[]): string | undefined {
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Where ready-made binaries may already be: an explicit folder, envtest's KUBEBUILDER_ASSETS, then the cache. */
function searchDirs(): string[] {
  return [process.env.MOOP_CONTROLPLANE_BIN, process.env.KUBEBUILDER_ASSETS, cacheDir()].filter(
    (d): d is string => !!d,
  );
}

type Log = (line: string) => void;

/** Returns all five binaries, building with Go only the modules whose binaries are found nowhere. */
export async function ensureBinaries(log: Log = (l) => console.error(l)): Promise<Binaries> {
  const missing = goModules().filter((m) =>
    Object.keys(m.packages).some((name) => !firstExisting(name as BinaryName, searchDirs())),
  );
  if (missing.length > 0) {
    assertGo(missing);
    const out = cacheDir();
    log(`[controlplane] first run: building ${missing.map((m) => `${m.source}@${m.version}`).join(', ')} into ${out}`);
    log('[controlplane] this takes several minutes once; later runs reuse the cache');
    for (const m of missing) await buildModule(m, out, log);
  }
  const found: Partial<Binaries> = {};
  for (const m of goModules()) {
    for (const name of Object.keys(m.packages) as BinaryName[]) {
      const path = firstExisting(name, searchDirs());
      if (!path) throw new Error(`${name} was not built; see the build output above`);
      found[name] = path;
    }
  }
  return found as Binaries;
}

/** Builds, with Go, the modules whose binaries are not all in out yet. */
export async function buildMissing(mods: GoModule[], out: string, log: Log, tag: string): Promise<void> {
  const missing = mods.filter((m) => Object.keys(m.packages).some((name) => !existsSync(join(out, name))));
  if (missing.length === 0) return;
  assertGo(missing);
  log(
    `[${tag}] first run: building ${missing.map((m) => `${m.source || m.dir.split('/').pop()}@${m.version}`).join(', ')} into ${out}`,
  );
  log(`[${tag}] this takes a few minutes once; later runs reuse the cache`);
  for (const m of missing) await buildModule(m, out, log, tag);
}

function assertGo(missing: GoModule[]): void {
  const probe = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const names = missing.flatMap((m) => Object.keys(m.packages)).join(', ');
    throw new Error(
      `The local cluster needs ${names}, which are not built yet, and Go is not installed.\n` +
        'Install Go 1.26 or later (https://go.dev/dl/) so they can be built once, or set KUBEBUILDER_ASSETS ' +
        '(or MOOP_CONTROLPLANE_BIN) to a folder that holds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.',
    );
  }
}

async function buildModule(m: GoModule, outDir: string, log: Log, tag = 'controlplane'): Promise<void> {
  const staging = `${outDir}.building-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, pkg] of Object.entries(m.packages)) {
      const started = Date.now();
      log(`[${tag}] go build ${name} (${m.source || pkg}@${m.version})`);
      await goBuild(m, pkg, join(staging, name), (n) =>
        log(`[${tag}]   ${name}: ${n} packages compiled, ${Math.round((Date.now() - started) / 1000)}s`),
      );
      log(`[${tag}] built ${name} in ${Math.round((Date.now() - started) / 1000)}s`);
    }
    mkdirSync(outDir, { recursive: true });
    // Rename one by one so that a concurrent run never sees a half-written binary.
    for (const name of Object.keys(m.packages)) renameSync(join(staging, name), join(outDir, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function goBuild(m: GoModule, pkg: string, out: string, progress: (packages: number) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const args = ['build', '-v', '-trimpath', `-ldflags=-s -w ${m.ldflags}`, '-o', out, pkg];
    const child = spawn('go', args, {
      cwd: m.dir,
      env: { ...process.env, CGO_ENABLED: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    // A build stopped midway (Ctrl-C, SIGTERM) must not go on compiling in the background.
    const forget = killOnExit(() => [child.pid]);
    let compiled = 0;
    const tail: string[] = [];
    const timer = setInterval(() => progress(compiled), 15_000);
    createInterface({ input: child.stderr }).on('line', (line) => {
      compiled += 1;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      forget();
      clearInterval(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(`go build ${pkg} failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}
