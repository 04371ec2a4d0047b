// The memory of a process tree, sampled: what `npm test` prints at its end (the whole suite's peak resident memory,
// every process it started counted, the cluster's too), since one process's maximum (`time -v`) misses the sum.
import { readdirSync, readFileSync } from 'node:fs';

/** Each process's parent, from /proc. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while being read
    }
  }
  return map;
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The resident memory of root and all its descendants now, in bytes. */
export function treeRss(root: number): number {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += rssBytes(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Samples root's tree every intervalMs; stop() ends it and answers the peak, in bytes. */
export function samplePeakRss(root: number, intervalMs = 1000): { stop(): number } {
  let peak = treeRss(root);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(root));
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}
