// `npm test`: the whole suite. Builds the local control plane on the first run (with progress), type-checks,
// then runs unit and integration tests against one real local cluster, with coverage.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureBinaries } from '../tools/cluster/binaries.ts';
import { projectRoot } from '../tools/offline.ts';

function run(what: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`[test] ${what} failed`);
    process.exit(result.status ?? 1);
  }
  console.error(`[test] ${what} passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

await ensureBinaries();
run('type check', [join(projectRoot, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', projectRoot]);
run('jest', ['--experimental-vm-modules', join(projectRoot, 'node_modules/jest/bin/jest.js'), '--runInBand', '--coverage', ...process.argv.slice(2)], {
  ...process.env,
  NODE_NO_WARNINGS: '1',
});
