// Percentiles of samples, in milliseconds; timing work; reading what a child process answered; a process tree's CPU
// time and memory, from /proc.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { processTree, rssBytes } from '../tools/memory.ts';

export interface Summary {
  n: number;
  median: number;
  p95: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, median: round(at(0.5)), p95: round(at(0.95)) };
}

export const round = (x: number): number => Math.round(x * 100) / 100;

/** Runs work and returns how long it took, in milliseconds. */
export async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const value = await work();
  return [performance.now() - started, value];
}

/**
 * The last line a benchmark's child printed, its answer, parsed (the handler's own output, e.g. its metrics, comes
 * before).
 */
export const lastLine = (out: string): unknown => JSON.parse(out.trimEnd().split('\n').at(-1)!);

/** A child Node process run to its end: its wall time, in ms, and what it printed; rejects, naming what, if it fails. */
export function runNode(
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<{ wallMs: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ wallMs, out, err });
      else reject(new Error(`${what} exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

/**
 * CPU time a process has used, in ms: the sum over its threads of the scheduler's nanosecond count
 * (/proc/<pid>/task/<tid>/schedstat), which the clock ticks of /proc/<pid>/stat (10 ms each) are too coarse beside,
 * for phases of a few hundred ms. Threads that have ended are no longer counted: the API server's (Go's) rarely end.
 */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended while being read
    }
  }
  return ns / 1e6;
}

/** Resident memory of one process, in MiB. */
export const rssMiB = (pid: number): number => Math.round(rssBytes(pid) / 2 ** 20);

/** Resident memory of a process and its descendants, in MiB. */
export const treeRssMiB = (root: number): number =>
  Math.round(processTree(root).reduce((sum, pid) => sum + rssBytes(pid), 0) / 2 ** 20);

/**
 * CPU time of a process and its descendants, in ms, from /proc/<pid>/stat (clock ticks of 10 ms), which counts the
 * threads that have ended too (Flask's threaded server ends one per connection).
 */
export const treeCpuMs = (root: number): number =>
  processTree(root).reduce((sum, pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return sum;
    }
  }, 0);

/** The id of the kube-apiserver process serving https://127.0.0.1:<port> (the port of its kubeconfig's server). */
export function apiServerPidOf(server: string): number {
  const port = new URL(server).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('kube-apiserver') && args.includes(`--secure-port=${port}`)) return Number(entry);
    } catch {
      // the process ended while being read
    }
  }
  throw new Error(`no kube-apiserver process serves ${server}`);
}

/** The id of the serverless-offline process serving HTTP at url (its --httpPort). */
export function offlinePidOf(url: string): number {
  const port = new URL(url).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('--httpPort');
      if (args.some((a) => a.endsWith('serverless.js')) && at > 0 && args[at + 1] === port) return Number(entry);
    } catch {
      // the process ended while being read
    }
  }
  throw new Error(`no serverless-offline process serves ${url}`);
}
