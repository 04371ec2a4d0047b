// A folder of this machine as a test compares it: every entry by relative path, a file's bytes (hashed) and
// modification time (seconds), a link's target (never followed), a folder.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry of dir but those skip names, by relative path. */
export function treeOf(dir: string, skip: (rel: string) => boolean = () => false): Record<string, string> {
  const tree: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const path = join(rel, name);
      if (skip(path)) continue;
      const st = lstatSync(join(dir, path));
      if (st.isSymbolicLink()) tree[path] = `link ${readlinkSync(join(dir, path))}`;
      else if (st.isDirectory()) {
        tree[path] = 'folder';
        walk(path);
      } else {
        const hash = createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex');
        tree[path] = `file ${hash} ${Math.floor(st.mtimeMs / 1000)}`;
      }
    }
  };
  walk('');
  return tree;
}
