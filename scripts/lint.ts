// `npm run lint`, and the first step of `npm test`: format and lint (Biome), types (tsc), and the import rules of the
// layout (dependency-cruiser, .dependency-cruiser.cjs). Each step says how long it took; the first failure stops it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../tools/offline.ts';

const bin = (path: string): string => join(projectRoot, 'node_modules', path);
const steps: [what: string, args: string[]][] = [
  // `npx biome check --write .` fixes what it can.
  ['format and lint', [bin('@biomejs/biome/bin/biome'), 'check', '--error-on-warnings', projectRoot]],
  ['type check', [bin('typescript/bin/tsc'), '--noEmit', '-p', projectRoot]],
  [
    'import rules',
    [
      bin('dependency-cruiser/bin/dependency-cruiser.mjs'),
      '--config',
      '.dependency-cruiser.cjs',
      'lib',
      'functions',
      'tools',
      'scripts',
      'bench',
      'test',
    ],
  ],
];

for (const [what, args] of steps) {
  const started = Date.now();
  const { status } = spawnSync(process.execPath, args, { cwd: projectRoot, stdio: 'inherit' });
  if (status !== 0) {
    process.stderr.write(`[lint] ${what} failed\n`);
    process.exit(status ?? 1);
  }
  process.stderr.write(`[lint] ${what} passed in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}
