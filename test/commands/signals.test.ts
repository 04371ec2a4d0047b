// `npm start`, `npm test`, `npm run bench` and `npm run cluster:stats`, each started for real and signalled the way a
// person or a CI runner does (Ctrl-C to the process group, SIGTERM to npm, a signal to the node process itself): each
// stops everything it started. Nothing may be left: no process of its tree or of its cluster, no cluster folder, no
// build folder of its own, and nothing of the real node on the machine (mounts, cgroups, bridge). A run killed outright
// is cleaned up by the next start.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../tools/cluster/processes.ts';
import { footprintOf } from '../../tools/cluster/real-node.ts';
import { reapStaleClusters } from '../../tools/cluster/reaper.ts';
import { processTree } from '../../tools/memory.ts';
import { projectRoot } from '../../tools/offline.ts';

interface Snapshot {
  pids: number[];
  clusterDir?: string;
  folders: string[];
}

const stat = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
};
/** Alive: it exists and is not a zombie waiting for its parent to read its status. */
const alive = (pid: number): boolean => {
  const s = stat(pid);
  return s !== undefined && s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) !== 'Z';
};
const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

async function startThenSignal(
  args: string[],
  ready: RegExp,
  signal: NodeJS.Signals,
  target: 'group' | 'npm' | RegExp,
  env: Record<string, string> = {},
): Promise<{ snapshot: Snapshot; output: string }> {
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MOOP_TEST_') && !k.startsWith('JEST')),
  );
  const child = spawn('npm', args, {
    cwd: projectRoot,
    env: { ...cleanEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm ${args.join(' ')} was not ready within 240 s:\n${output.slice(-3000)}`)),
      240_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() =>
      reject(new Error(`npm ${args.join(' ')} exited before it was ready:\n${output.slice(-3000)}`)),
    );
  });
  const pids = processTree(child.pid!);
  const clusterDir = /\(logs in (\/\S+)\/logs\)/.exec(output)?.[1];
  const owner = clusterDir
    ? (JSON.parse(readFileSync(join(clusterDir, 'owner.json'), 'utf8')) as {
        pids: number[];
        groups?: number[];
        folders?: string[];
      })
    : undefined;
  const snapshot: Snapshot = {
    pids: [...new Set([...pids, ...(owner?.pids ?? []), ...(owner?.groups ?? [])])],
    clusterDir,
    folders: owner?.folders ?? [],
  };

  if (target === 'group') process.kill(-child.pid!, signal);
  else if (target === 'npm') process.kill(child.pid!, signal);
  else {
    const node = pids.find((pid) => target.test(cmdline(pid)));
    if (!node) throw new Error(`no process of npm ${args.join(' ')} runs ${target}`);
    process.kill(node, signal);
  }
  await Promise.race([
    exited,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`npm ${args.join(' ')} did not stop within 60 s after ${signal}`)), 60_000),
    ),
  ]);
  return { snapshot, output };
}

/** Everything in the snapshot is gone, within a few seconds of the exit. */
async function expectNothingLeft({ snapshot, output }: { snapshot: Snapshot; output: string }): Promise<void> {
  const deadline = Date.now() + 10_000;
  let left: number[] = [];
  do {
    left = snapshot.pids.filter(alive);
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  } while (Date.now() < deadline);
  expect(left.map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
  expect(snapshot.clusterDir).toBeDefined();
  expect(existsSync(snapshot.clusterDir!)).toBe(false);
  expect(snapshot.folders.filter((f) => existsSync(f))).toEqual([]);
  expectNoRealNodeLeft(snapshot.clusterDir!);
  expect(output).toContain('stopping what was started');
}

/** Nothing of the real node of the cluster in clusterDir is left on the machine. */
function expectNoRealNodeLeft(clusterDir: string): void {
  const fp = footprintOf(clusterDir);
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter((l) => l.includes(clusterDir));
  const cgroups = readdirSync('/sys/fs/cgroup')
    .map((c) => join('/sys/fs/cgroup', c, fp.cgroup))
    .filter((d) => existsSync(d));
  const bridge = existsSync(`/sys/class/net/${fp.bridge}`);
  const shims = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => cmdline(Number(p)).includes(fp.containerdSocket));
  const logLinks = existsSync('/var/log/containers')
    ? readdirSync('/var/log/containers').filter((f) =>
        readlinkSync(join('/var/log/containers', f)).startsWith(clusterDir),
      )
    : [];
  expect({ mounts, cgroups, bridge, shims, logLinks }).toEqual({
    mounts: [],
    cgroups: [],
    bridge: false,
    shims: [],
    logLinks: [],
  });
}

describe('stopping on a signal leaves nothing behind', () => {
  it('npm start, on Ctrl-C (SIGINT to its process group)', async () => {
    const [port, lambdaPort] = [await freePort(), await freePort()];
    await expectNothingLeft(
      await startThenSignal(['start'], /MOOP resource service is ready/, 'SIGINT', 'group', {
        PORT: String(port),
        LAMBDA_PORT: String(lambdaPort),
        KUBECONFIG: '',
      }),
    );
  }, 320_000);

  it('npm test, on SIGTERM to npm', async () => {
    await expectNothingLeft(
      await startThenSignal(
        ['test', '--', 'test/integration/health.test.ts'],
        /\[offline\] serving at/,
        'SIGTERM',
        'npm',
      ),
    );
  }, 320_000);

  it('npm run bench, on SIGINT to its node process alone', async () => {
    await expectNothingLeft(
      await startThenSignal(['run', 'bench', '--', 'claims'], /\[bench\] claim routes:/, 'SIGINT', /bench\/run\.ts/),
    );
  }, 320_000);

  it('npm run cluster:stats, killed outright (SIGKILL): the next start removes its cluster and undoes its real node', async () => {
    const { snapshot } = await startThenSignal(
      ['run', 'cluster:stats'],
      /\[cluster\] ready at/,
      'SIGKILL',
      /cluster-stats\.ts/,
      { SETTLE_SECONDS: '120' },
    );
    expect(existsSync(snapshot.clusterDir!)).toBe(true);

    reapStaleClusters(() => undefined);

    const left = snapshot.pids.filter(alive);
    await new Promise((r) => setTimeout(r, left.length ? 1000 : 0));
    expect(snapshot.pids.filter(alive).map((pid) => `${pid} ${cmdline(pid)}`)).toEqual([]);
    expect(existsSync(snapshot.clusterDir!)).toBe(false);
    expectNoRealNodeLeft(snapshot.clusterDir!);
  }, 320_000);

  it('npm run cluster:stats, on SIGTERM to its node process alone', async () => {
    await expectNothingLeft(
      await startThenSignal(['run', 'cluster:stats'], /\[cluster\] ready at/, 'SIGTERM', /cluster-stats\.ts/, {
        SETTLE_SECONDS: '120',
      }),
    );
  }, 320_000);
});
