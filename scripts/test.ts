// `npm test`: the whole suite. Lints (`npm run lint`), builds the local control plane on the first run (with progress),
// then runs unit and integration tests against one real local cluster, with coverage. On SIGINT, SIGTERM or SIGHUP
// it stops jest and removes what jest's cluster left, since jest skips its global teardown when it is signalled.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../tools/cluster/binaries.ts';
import { stopWithGrace } from '../tools/cluster/processes.ts';
import { reapStaleClusters } from '../tools/cluster/reaper.ts';
import { stopOnSignals } from '../tools/lifecycle.ts';
import { samplePeakRss } from '../tools/memory.ts';
import { projectRoot } from '../tools/offline.ts';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
let current: ChildProcess | undefined;
let stopping = false;

stopOnSignals(async () => {
  stopping = true;
  if (current) await stopWithGrace(current, 15_000);
  reapStaleClusters(log);
}, log);

function run(what: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const started = Date.now();
  return new Promise((resolve) => {
    current = spawn(process.execPath, args, { cwd: projectRoot, stdio: 'inherit', env });
    current.on('exit', (code) => {
      current = undefined;
      if (stopping) return; // the signal handler exits once the leftovers are gone
      if (code !== 0) {
        log(`[test] ${what} failed`);
        process.exit(code ?? 1);
      }
      log(`[test] ${what} passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      resolve();
    });
  });
}

// The whole run's peak memory, every process it started counted (jest, the cluster, serverless-offline), told at its
// end however it ends: the suite must fit the machine (3 GB at most).
const memory = samplePeakRss(process.pid);
const begun = Date.now();
// What the run leaves in the temporary directory: it should be nothing (other programs' files may show up too).
const tmpBefore = new Set(readdirSync(tmpdir()));
process.on('exit', () => {
  const left = readdirSync(tmpdir()).filter((entry) => !tmpBefore.has(entry));
  log(`[test] left in ${tmpdir()}: ${left.length === 0 ? 'nothing' : left.slice(0, 10).join(', ')}`);
  const seconds = Math.round((Date.now() - begun) / 1000);
  const peak = memory.stop();
  log(
    `[test] peak memory ${(peak.total / 2 ** 30).toFixed(2)} GB (all processes of the run: ${peak.largest}); ${seconds} s wall`,
  );
});

// `npm run lint` first: format, types and import rules, in seconds, before the cluster is built or started.
await run('lint', [join(projectRoot, 'scripts/lint.ts')]);
await ensureBinaries();
const only = process.argv.slice(2);
// Paths first: --selectProjects takes every word after it as a project's name.
const jest = (projects: string[], extra: string[]): string[] => [
  '--experimental-vm-modules',
  join(projectRoot, 'node_modules/jest/bin/jest.js'),
  ...only,
  '--maxWorkers=1',
  ...extra,
  '--selectProjects',
  ...projects,
];
const env = { ...process.env, NODE_NO_WARNINGS: '1' };
// The whole suite measures coverage, and fails below the thresholds of jest.config.js; a chosen subset measures none.
// The commands run after the rest, once the suite's cluster is gone; a subset may hold none of one kind.
const subset = only.length > 0 ? ['--passWithNoTests'] : ['--coverage'];
await run('jest', jest(['unit', 'integration'], subset), env);
await run('jest (commands)', jest(['commands'], only.length > 0 ? ['--passWithNoTests'] : []), env);
