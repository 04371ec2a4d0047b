// The route table (which the OpenAPI document is made from) and serverless.yml's httpApi events agree.
import { load } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routes } from '../../lib/routes.ts';

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
    const listed = Object.values(routes).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(served).toEqual(listed);
  });

  it('has a handler file for each function, under functions/ by its URL', () => {
    for (const [name, fn] of Object.entries(serverless.functions)) {
      const file = `${fn.handler.replace(/\.handler$/, '')}.ts`;
      expect([name, existsSync(join(root, file))]).toEqual([name, true]);
    }
  });
});
