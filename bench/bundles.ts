// Each function bundled as serverless-esbuild bundles it (serverless.yml's custom.esbuild, its plugins included), for
// size and cold starts, beside the last run's. `node bench/bundles.ts` builds them and prints their sizes beside the
// last such run's (.local/bench/last-bundle-kib.json), without a cluster.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { load } from 'js-yaml';
import { projectRoot } from '../tools/offline.ts';

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
}

interface EsbuildSettings {
  minify: boolean;
  target: string;
  platform: 'node';
  format: 'esm';
  banner: { js: string };
  exclude: string[];
  plugins?: string;
}

const benchDir = join(projectRoot, '.local/bench');

/** Bundles every function serverless.yml declares into outDir, with the options and plugins it packages them with. */
export async function buildBundles(outDir: string): Promise<Bundle[]> {
  const yml = load(readFileSync(join(projectRoot, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
    custom: { esbuild: EsbuildSettings };
  };
  const options = yml.custom.esbuild;
  const plugins = options.plugins
    ? (createRequire(import.meta.url)(join(projectRoot, options.plugins)) as Plugin[])
    : [];
  mkdirSync(outDir, { recursive: true });
  const bundles: Bundle[] = [];
  for (const [name, fn] of Object.entries(yml.functions)) {
    const file = join(outDir, `${name}.mjs`);
    const result = await build({
      entryPoints: [join(projectRoot, `${fn.handler.replace(/\.handler$/, '')}.ts`)],
      outfile: file,
      bundle: true,
      minify: options.minify,
      platform: options.platform,
      target: options.target,
      format: options.format,
      external: options.exclude,
      banner: options.banner,
      plugins,
      metafile: true,
      logLevel: 'error',
    });
    bundles.push({ name, file, bytes: Object.values(result.metafile.outputs)[0]!.bytes });
  }
  return bundles;
}

/**
 * What was measured last time in dir, by function (dir/last-<what>.json; .local/bench for `npm run bench`, its quick
 * runs' own folders for them); none on a first run.
 */
export function lastRun(dir: string, what: string): Record<string, number> {
  const file = join(dir, `last-${what}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
}

/** Keeps this run's figures, by function, for the next run in dir to compare with. */
export function keepRun(dir: string, what: string, figures: Record<string, number>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `last-${what}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** "now / last run / change" of one figure: the change in per cent, "-" where the last run has none. */
export function beside(now: number, last: number | undefined): string[] {
  if (last === undefined) return [String(now), '-', '-'];
  const change = last === 0 ? 0 : Math.round(((now - last) / last) * 100);
  return [String(now), String(last), `${change > 0 ? '+' : ''}${change} %`];
}

/** Lines of a table whose columns are as wide as their widest cell. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

const kib = (bytes: number): number => Math.round(bytes / 1024);

if (import.meta.main) {
  const bundles = await buildBundles(join(benchDir, 'bundles'));
  const last = lastRun(benchDir, 'bundle-kib');
  const rows = bundles.map((b) => [b.name, ...beside(kib(b.bytes), last[b.name])]);
  const lines = table([['function', 'KiB now', 'last run', 'change'], ...rows]);
  process.stdout.write(`Bundle sizes, beside the last run of bench/bundles.ts\n${lines.join('\n')}\n`);
  keepRun(benchDir, 'bundle-kib', Object.fromEntries(bundles.map((b) => [b.name, kib(b.bytes)])));
}
