// The route table (which the OpenAPI document is made from) and serverless.yml's httpApi events agree.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { routes } from '../../lib/http/routes.ts';

const root = join(import.meta.dirname, '../..');
const serverless = load(readFileSync(join(root, 'serverless.yml'), 'utf8')) as {
  functions: Record<string, { handler: string; events?: { httpApi?: { method: string; path: string } }[] }>;
};

describe('the route table', () => {
  it('lists exactly the HTTP routes serverless.yml serves', () => {
    const served = Object.values(serverless.functions)
      .flatMap((f) => f.events ?? [])
      .flatMap((e) => (e.httpApi ? [`${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`] : []))
      .sort();
    const listed = Object.values(routes)
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .sort();
    expect(served).toEqual(listed);
  });

  it("is where each handler takes its route from: the handler serverless.yml binds to a route uses that route's entry", () => {
    for (const [name, fn] of Object.entries(serverless.functions)) {
      const event = fn.events?.find((e) => e.httpApi)?.httpApi;
      if (!event) continue;
      const key = Object.entries(routes).find(
        ([, r]) => r.method === event.method.toLowerCase() && r.path === event.path,
      )![0];
      const source = readFileSync(join(root, `${fn.handler.replace(/\.handler$/, '')}.ts`), 'utf8');
      expect([name, [...source.matchAll(/\broutes\.(?!ts')(\w+)/g)].map((m) => m[1])]).toEqual([name, [key]]);
    }
  });

  it('keeps the handlers thin: no Kubernetes module or type, no environment variable, no schema of their own', () => {
    for (const fn of Object.values(serverless.functions)) {
      const file = `${fn.handler.replace(/\.handler$/, '')}.ts`;
      const imports = [...readFileSync(join(root, file), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map(
        (m) => m[1]!,
      );
      const forbidden = imports.filter((i) =>
        /lib\/kube\/|@kubernetes\/|\/schemas\.ts$|lib\/http\/fields|lib\/app\/config/.test(i),
      );
      expect([file, forbidden]).toEqual([file, []]);
      expect([file, /process\.env|\.config\(\)/.test(readFileSync(join(root, file), 'utf8'))]).toEqual([file, false]);
    }
  });

  it('has a handler file for each function, under functions/ by its URL', () => {
    for (const [name, fn] of Object.entries(serverless.functions)) {
      const file = `${fn.handler.replace(/\.handler$/, '')}.ts`;
      expect([name, existsSync(join(root, file))]).toEqual([name, true]);
    }
  });
});
