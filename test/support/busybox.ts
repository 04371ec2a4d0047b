// The shells the copies' constant scripts are run with in unit tests: this machine's /bin/sh and its tools, and the
// busybox the real node's copies run (its image cached on this machine by tools/cluster/real-node.ts), reduced to a
// PATH of the applets a script uses, so that a tool the image lacks fails the test as it would fail the copy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { nodeCacheDir } from '../../tools/cluster/node-artifacts.ts';

/** A shell to run a script with: the program, and the PATH its tools are found on. */
export interface Shell {
  sh: string;
  path: string;
}

/** This machine's /bin/sh, with the PATH the tests run with. */
export const machine: Shell = { sh: '/bin/sh', path: process.env.PATH ?? '/usr/bin:/bin' };

/** The busybox image the real node loads its copies' image from (npm test builds it first), if it is there. */
export function busyboxImage(): string | undefined {
  const tar = join(nodeCacheDir(), 'busybox.tar');
  return existsSync(tar) ? tar : undefined;
}

/**
 * Runs specifications with the real node's busybox: under npm test the image is there (the suite's setup builds the
 * node first), so a missing one fails, saying why; only MOOP_REAL_NODE=off, which runs without the node, skips them.
 */
export function withBusybox(dir: string, tools: string[], specifications: (shell: () => Shell) => void): void {
  const tar = busyboxImage();
  if (tar) {
    describe(`with the busybox of the real node (${tar})`, () => {
      let shell: Shell;
      beforeAll(() => {
        shell = busyboxShell(tar, dir, tools);
      });
      specifications(() => shell);
    });
  } else if (process.env.MOOP_REAL_NODE === 'off') {
    describe.skip('with the busybox of the real node (MOOP_REAL_NODE=off: no node, no image)', () => {
      specifications(() => machine);
    });
  } else {
    it("has the real node's busybox image to run the scripts with", () => {
      throw new Error(
        `No ${join(nodeCacheDir(), 'busybox.tar')}: run npm test (its setup builds the real node's image first), or set MOOP_REAL_NODE=off to run without the node.`,
      );
    });
  }
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
