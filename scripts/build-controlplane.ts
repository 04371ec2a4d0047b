// `npm run cluster:build`: builds (or finds) the local control-plane binaries and prints where they are and how long it took.
// For a cold build: MOOP_CONTROLPLANE_CACHE=$(mktemp -d) GOCACHE=$(mktemp -d) npm run cluster:build
import { ensureBinaries } from '../tools/cluster/binaries.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';

// The go builds it runs are killed by the exit that follows (tools/cluster/binaries.ts); a partial build leaves no binary.
stopOnSignals(async () => {});

const started = Date.now();
const binaries = await ensureBinaries();
for (const [name, path] of Object.entries(binaries)) console.log(`${name.padEnd(24)} ${path}`);
console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
