// Keeps a cluster from outliving its owner: children are killed when the owner exits, and a cluster whose owner
// died without cleaning up (SIGKILL, power loss) is removed by the next start.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const clusterDirPrefix = 'moop-cluster-';
const ownerFile = 'owner.json';

interface Owner {
  ownerPid: number;
  pids: number[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Records the cluster's processes so that a later start can remove them if this process dies first. */
export function recordOwner(dir: string, pids: number[]): void {
  const owner: Owner = { ownerPid: process.pid, pids };
  writeFileSync(join(dir, ownerFile), JSON.stringify(owner));
}

/** Kills the processes and removes the folders of clusters whose owning process is gone. */
export function reapStaleClusters(log: (line: string) => void): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(clusterDirPrefix))) {
    const dir = join(tmpdir(), name);
    const file = join(dir, ownerFile);
    if (!existsSync(file)) continue;
    let owner: Owner;
    try {
      owner = JSON.parse(readFileSync(file, 'utf8')) as Owner;
    } catch {
      continue;
    }
    if (alive(owner.ownerPid)) continue;
    owner.pids.forEach(killQuietly);
    rmSync(dir, { recursive: true, force: true });
    log(`[cluster] removed a cluster left behind by process ${owner.ownerPid} (${dir})`);
  }
}

/** Kills the given processes synchronously when this process exits, however it exits normally. */
export function killOnExit(pids: () => (number | undefined)[]): () => void {
  const handler = (): void => pids().forEach((pid) => pid && killQuietly(pid));
  process.on('exit', handler);
  return () => process.off('exit', handler);
}
