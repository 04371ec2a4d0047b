// `npm run cluster:build`: builds (or finds) the local cluster's binaries, the control plane's and the real node's, and
// prints where they are and how long each took. For a cold build:
// MOOP_CONTROLPLANE_CACHE=$(mktemp -d) MOOP_NODE_CACHE=$(mktemp -d) GOCACHE=$(mktemp -d) npm run cluster:build
import { ensureBinaries } from '../tools/cluster/binaries.ts';
import { ensureNodeArtifacts } from '../tools/cluster/node-artifacts.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';

// The go builds it runs are killed by the exit that follows (tools/cluster/binaries.ts); a partial build leaves no
// binary.
stopOnSignals(async () => {});

let started = Date.now();
const binaries = await ensureBinaries();
for (const [name, path] of Object.entries(binaries)) console.log(`${name.padEnd(24)} ${path}`);
console.log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
if (process.env.MOOP_REAL_NODE !== 'off') {
  started = Date.now();
  const node = await ensureNodeArtifacts((line) => console.error(line));
  console.log(`${'real node'.padEnd(24)} ${node.bin}`);
  console.log(`real node ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
