// README's configuration table, .env.example and the zod schemas name the same settings with the same defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigFields, ToolSettingsSchema } from '../../lib/config/config.ts';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const envExample = readFileSync(join(root, '.env.example'), 'utf8');
const shapes = { ...ConfigFields.shape, ...ToolSettingsSchema.shape } as Record<string, z.ZodType>;

const table = new Map(
  [...readme.slice(readme.indexOf('## Configuration')).matchAll(/^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|/gm)].map((m) => [
    m[1]!,
    m[2]!.trim(),
  ]),
);
const exampleNames = [...envExample.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);

function schemaDefault(field: z.ZodType): string | undefined {
  const parsed = field.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? String(parsed.data) : undefined;
}

describe('the configuration documentation', () => {
  it('names exactly the settings of the schemas, in the README table and in .env.example', () => {
    const names = Object.keys(shapes).sort();
    expect([...table.keys()].sort()).toEqual(names);
    expect([...exampleNames].sort()).toEqual(names);
  });

  it("gives each setting the schema's default", () => {
    for (const [name, field] of Object.entries(shapes)) {
      const expected = schemaDefault(field);
      expect([name, table.get(name)]).toEqual([name, expected === undefined ? '–' : `\`${expected}\``]);
    }
  });
});
