// Folders the script tests make and compare on this machine: entries made from a plain description (a folder, a
// file with its bytes, mode and time, a link), and a folder read back the same way.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export type Made = string | Buffer | { data: string | Buffer; mtime?: number; mode?: number } | { link: string };

/** Makes entries below root: a path ending in / is a folder. */
export function make(root: string, entries: Record<string, Made>) {
  for (const [path, what] of Object.entries(entries)) {
    const at = join(root, path);
    if (path.endsWith('/')) {
      mkdirSync(at, { recursive: true });
      continue;
    }
    mkdirSync(dirname(at), { recursive: true });
    if (typeof what === 'object' && 'link' in what) {
      symlinkSync(what.link, at);
      continue;
    }
    const file = typeof what === 'string' || Buffer.isBuffer(what) ? { data: what } : what;
    writeFileSync(at, file.data);
    if (file.mode !== undefined) chmodSync(at, file.mode);
    if (file.mtime !== undefined) utimesSync(at, file.mtime, file.mtime);
  }
}

/** What a folder holds, every entry by its path: a folder, a link and its target, or a file's bytes, mode and mtime. */
export function tree(root: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const at = join(dir, name);
      const rel = `${prefix}${name}`;
      const st = lstatSync(at);
      if (st.isSymbolicLink()) out[rel] = { link: readlinkSync(at) };
      else if (st.isDirectory()) {
        out[`${rel}/`] = 'folder';
        walk(at, `${rel}/`);
      } else out[rel] = { data: readFileSync(at), mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) };
    }
  };
  if (existsSync(root)) walk(root, '');
  return out;
}
