// Each function bundled as serverless-esbuild bundles it (serverless.yml's custom.esbuild), for size and cold starts.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { load } from 'js-yaml';
import { projectRoot } from '../tools/offline.ts';

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
}

export async function buildBundles(outDir: string): Promise<Bundle[]> {
  const yml = load(readFileSync(join(projectRoot, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
  };
  mkdirSync(outDir, { recursive: true });
  const bundles: Bundle[] = [];
  for (const [name, fn] of Object.entries(yml.functions)) {
    const entry = join(projectRoot, `${fn.handler.replace(/\.handler$/, '')}.ts`);
    const file = join(outDir, `${name}.mjs`);
    const result = await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      external: ['@aws-sdk/*'],
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      metafile: true,
      logLevel: 'error',
    });
    const bytes = Object.values(result.metafile.outputs)[0]!.bytes;
    bundles.push({ name, file, bytes });
  }
  return bundles;
}
