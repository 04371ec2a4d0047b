// The memory of a process tree, sampled: what `npm test` prints at its end (the whole suite's peak resident memory,
// every process it started counted, the cluster's too), since one process's maximum (`time -v`) misses the sum.
import { readdirSync, readFileSync } from 'node:fs';

/** A process and all its descendants, from /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while being read
    }
  }
  const tree: number[] = [];
  for (const pending = [root]; pending.length > 0; ) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Resident memory of one process, in bytes (0 once it has ended). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function commandName(pid: number): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // A script run by node is named by the script: jest, serverless, a tool of this project.
    const named = args[0]?.endsWith('/node') ? (args.find((a, i) => i > 0 && !a.startsWith('-')) ?? args[0]) : args[0];
    return (named ?? String(pid)).split('/').slice(-1)[0]!;
  } catch {
    return String(pid);
  }
}

/** root and all its descendants now: their total resident memory in bytes, and each process's. */
export function treeRss(root: number): { total: number; processes: { name: string; bytes: number }[] } {
  const processes = processTree(root).map((pid) => ({ name: commandName(pid), bytes: rssBytes(pid) }));
  return { total: processes.reduce((sum, p) => sum + p.bytes, 0), processes };
}

/** Samples root's tree every intervalMs; stop() ends it and answers the peak: the total and the largest processes. */
export function samplePeakRss(root: number, intervalMs = 1000): { stop(): { total: number; largest: string } } {
  let peak = treeRss(root);
  const timer = setInterval(() => {
    const now = treeRss(root);
    if (now.total > peak.total) peak = now;
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const largest = peak.processes
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 6)
        .map((p) => `${p.name} ${Math.round(p.bytes / 2 ** 20)} MB`)
        .join(', ');
      return { total: peak.total, largest };
    },
  };
}
