// Keeps a cluster from outliving its owner: children are killed when the owner exits, and a cluster whose owner
// died without cleaning up (SIGKILL, power loss) is removed by the next start.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, killQuietly, onExit } from './processes.ts';
import { undoRealNode } from './real-node.ts';

export const clusterDirPrefix = 'moop-cluster-';
const ownerFile = 'owner.json';

interface Owner {
  ownerPid: number;
  pids: number[];
  /** Process groups started beside the cluster (serverless-offline and its workers). */
  groups?: number[];
  /** Folders made beside the cluster (serverless-esbuild's work folder). */
  folders?: string[];
}

/** What else a cluster's owner started and must not outlive it. */
export interface Companions {
  groups: number[];
  folders: string[];
}

/** Kills what a cluster's owner left: processes, process groups (by negative pid), folders. */
function removeLeftovers(pids: number[], companions: Partial<Companions>): void {
  pids.forEach(killQuietly);
  for (const group of companions.groups ?? []) killQuietly(-group);
  for (const folder of companions.folders ?? []) rmSync(folder, { recursive: true, force: true });
}

/** Records the cluster's processes so that a later start can remove them if this process dies first. */
export function recordOwner(dir: string, pids: number[], companions: Companions = { groups: [], folders: [] }): void {
  const owner: Owner = { ownerPid: process.pid, pids, ...companions };
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
    removeLeftovers(owner.pids, owner);
    if (!removeClusterDir(dir)) {
      log(`[cluster] could not unmount all of the real node of ${dir}; left in place`);
      continue;
    }
    log(`[cluster] removed a cluster left behind by process ${owner.ownerPid} (${dir})`);
  }
}

/**
 * Removes a cluster's folder once its real node (if any) is undone; never while something is mounted below it, since
 * removing through a mount would delete what is mounted. False if it was left for that reason.
 */
export function removeClusterDir(dir: string): boolean {
  if (!undoRealNode(dir)) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/**
 * Kills the cluster's processes (and companions) synchronously when this process exits without having stopped them,
 * and removes dir, the cluster's folder. Returns what cancels it.
 */
export function removeClusterOnExit(dir: string, pids: () => number[], companions: () => Companions): () => void {
  return onExit(() => {
    removeLeftovers(pids(), companions());
    removeClusterDir(dir);
  });
}
