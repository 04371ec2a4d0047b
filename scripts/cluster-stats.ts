// `npm run cluster:stats`: starts the local cluster, lets it settle, and prints its start time and memory at rest.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type LocalCluster } from '../tools/cluster/cluster.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';

const settleSeconds = Number(process.env.SETTLE_SECONDS ?? 30);
const started = Date.now();
let cluster: LocalCluster | undefined;
// Before the start: a signal during it exits, and the cluster's exit handler kills what had started.
stopOnSignals(async () => cluster?.stop());
cluster = await startCluster();
const startSeconds = (Date.now() - started) / 1000;
try {
  await sleep(settleSeconds * 1000);
  const rssMiB = (pid: number | undefined): number => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  };
  let total = 0;
  console.log(`cluster start (warm cache): ${startSeconds.toFixed(1)} s`);
  console.log(`memory at rest after ${settleSeconds} s (RSS):`);
  for (const p of cluster.processes) {
    const mib = rssMiB(p.pid);
    total += mib;
    console.log(`  ${p.name.padEnd(24)} ${mib.toFixed(0).padStart(5)} MiB`);
  }
  console.log(`  ${'total'.padEnd(24)} ${total.toFixed(0).padStart(5)} MiB`);
} finally {
  await cluster.stop();
}
