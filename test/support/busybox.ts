// The shells the copies' constant scripts are run with in unit tests: this machine's /bin/sh and its tools, and the
// busybox the real node's copies run (its image cached on this machine by tools/cluster/real-node.ts), reduced to a
// PATH of the applets a script uses, so that a tool the image lacks fails the test as it would fail the copy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A shell to run a script with: the program, and the PATH its tools are found on. */
export interface Shell {
  sh: string;
  path: string;
}

/** This machine's /bin/sh, with the PATH the tests run with. */
export const machine: Shell = { sh: '/bin/sh', path: process.env.PATH ?? '/usr/bin:/bin' };

/** The busybox image the real node loads its copies' image from, if this machine has it cached. */
export function busyboxImage(): string | undefined {
  const cache = join(homedir(), '.cache', 'moop-node');
  if (!existsSync(cache)) return undefined;
  return readdirSync(cache)
    .map((d) => join(cache, d, 'busybox.tar'))
    .find((f) => existsSync(f));
}

/** A PATH of busybox applets, sh and those named in tools only, from the image's layer unpacked below dir. */
export function busyboxShell(tar: string, dir: string, tools: string[]): Shell {
  const root = join(dir, 'root');
  const bin = join(dir, 'path');
  mkdirSync(root, { recursive: true });
  mkdirSync(bin, { recursive: true });
  execFileSync('tar', ['-xf', tar, '-C', dir, 'layer.tar']);
  const members = execFileSync('tar', ['-tf', join(dir, 'layer.tar')], { encoding: 'utf8' }).split('\n');
  const member = members.find((m) => m === 'bin/busybox' || m === './bin/busybox')!;
  execFileSync('tar', ['-xf', join(dir, 'layer.tar'), '-C', root, member]);
  for (const tool of new Set(['sh', ...tools])) symlinkSync(join(root, 'bin', 'busybox'), join(bin, tool));
  return { sh: join(bin, 'sh'), path: bin };
}
