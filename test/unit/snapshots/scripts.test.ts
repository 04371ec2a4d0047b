// The snapshot scripts run for real: with this machine's /bin/sh and its tools (GNU tar and gzip), and with the busybox
// the real node's copies run (when its image is cached on this machine), over folders made for each case. A volume
// archived and restored beside comes back byte for byte, its times, modes and links kept; a restore that replaces
// gives back exactly what the snapshot held; what fails says why in the termination message and changes nothing; a
// removal removes exactly the archives named.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseResult } from '../../../lib/operations/script.ts';
import { archiveScript, removeScript, restoreScript } from '../../../lib/snapshots/scripts.ts';
import { machine, type Shell, withBusybox } from '../../support/busybox.ts';
import { type Made, make, tree } from '../../support/files.ts';

/** Every case's folders are made below base, which is removed after the tests. */
const base = realpathSync(mkdtempSync(join(tmpdir(), 'moop-snapshot-scripts-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Every tool the three scripts call. */
const snapshotTools = [
  'sh',
  'tar',
  'gzip',
  'gunzip',
  'find',
  'stat',
  'wc',
  'cut',
  'head',
  'mv',
  'rm',
  'mkdir',
  'touch',
  'rmdir',
  'printf',
  'cat',
];

let cases = 0;
/** A case's folders: the student's volume and their folder of the store, as the copy mounts them. */
function volumes() {
  const dir = join(base, `case-${++cases}`);
  const v = { dir, student: join(dir, 'student'), store: join(dir, 'store') };
  for (const d of Object.values(v)) mkdirSync(d, { recursive: true });
  return v;
}
type Volumes = ReturnType<typeof volumes>;

/** How a script ended: its exit code and the termination message it wrote (undefined when it wrote none). */
interface Ended {
  code: number | null;
  result: string | undefined;
}

/** Runs script with env (MOOP_RESULT added, a file of the case's); answers how it ended. */
function run(shell: Shell, v: Volumes, script: string, env: Record<string, string>): Ended {
  const result = join(v.dir, `result-${Math.random().toString(36).slice(2)}`);
  const ran = spawnSync(shell.sh, ['-c', script], {
    cwd: v.dir,
    env: { PATH: shell.path, ...env, MOOP_RESULT: result },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  if (ran.error) throw ran.error;
  return { code: ran.status, result: existsSync(result) ? readFileSync(result, 'utf8') : undefined };
}

const archive = (shell: Shell, v: Volumes, archivePath = join(v.store, 'snap-1.tar.gz')) =>
  run(shell, v, archiveScript, { MOOP_FROM: v.student, MOOP_ARCHIVE: archivePath });
const restore = (shell: Shell, v: Volumes, mode: 'beside' | 'replace', to: string, from = 'snap-1.tar.gz') =>
  run(shell, v, restoreScript, { MOOP_ARCHIVE: join(v.store, from), MOOP_TO: to, MOOP_MODE: mode });
const remove = (shell: Shell, v: Volumes, names: string[]) =>
  run(shell, v, removeScript, { MOOP_STORE: v.store, MOOP_REMOVE: names.join('\n') });

/** The termination message the scripts write (kept and late are always 0). */
const message = (status: string, counts: { files?: number; bytes?: number }, reason = ' '): string =>
  `moop-copy 1\nstatus ${status}\nfiles ${counts.files ?? 0}\nbytes ${counts.bytes ?? 0}\nkept 0\nlate 0\nreason ${reason}\n`;

/** A file (content, and optionally its mtime in seconds and mode) or a link (its target) to make. */

/** Every path below root, folders with a trailing /. */
const paths = (root: string): string[] => Object.keys(tree(root));

/** What the commands spelled by the hostile name would make, were it ever run: found anywhere below root. */
const pwned = (root: string): string[] => paths(root).filter((p) => ['pwned', 'pwned2', 'z'].includes(basename(p)));

const past = Math.floor(Date.parse('2025-09-01T08:30:00Z') / 1000);
const later = past + 30 * 86_400;

/** A student's volume: nested folders, unicode and hostile names, a link, an executable, old times, an empty folder. */
const work = {
  'README.md': { data: 'My notes for the term\n', mtime: past },
  'run.sh': { data: '#!/bin/sh\necho hello\n', mode: 0o755, mtime: past + 1 },
  'notebooks/week 1/intro.ipynb': { data: '{"cells": [], "nbformat": 4}\n', mtime: past + 2 },
  'notebooks/week 1/data set.csv': { data: 'a,b\n1,2\n', mtime: past + 3 },
  'notebooks/week 2/deeper/still/answers.py': { data: 'print(42)\n', mtime: later },
  'données/résumé — 日本語 ✓.txt': { data: 'crème brûlée, 寿司\n', mtime: past + 4 },
  'data.bin': { data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), mtime: past + 5 },
  '$(touch pwned); `touch pwned2` & x | y > z "q" \'s\' *.txt': { data: 'a name, never code\n', mtime: past + 6 },
  'empty folder/': '',
  latest: { link: 'notebooks/week 1' },
} satisfies Record<string, Made>;
/** The files and links the volume holds: what the scripts count. */
const workFiles = Object.keys(work).filter((p) => !p.endsWith('/')).length;

/** A volume holding work, archived once: the case, the tree archived and the archive's size. */
function archived(shell: Shell) {
  const v = volumes();
  make(v.student, work);
  const before = tree(v.student);
  const ended = archive(shell, v);
  expect(ended).toEqual({ code: 0, result: message('copied', { files: workFiles, bytes: archiveSize(v) }) });
  return { v, before, bytes: archiveSize(v) };
}
const archiveSize = (v: Volumes, name = 'snap-1.tar.gz') => statSync(join(v.store, name)).size;

/** What tar says when it fails, as the scripts' reasons carry it: GNU tar (this machine) or busybox's. */
const tarSays = {
  gnu: {
    cannotOpen: (path: string) =>
      `tar exited with code 2: tar (child): ${path}: Cannot open: No such file or directory`,
    // GNU tar's first line of a damaged archive is an empty one (see the failing case below).
    damaged: 'tar exited with code 2: gzip: stdin: unexpected end of file',
  },
  busybox: {
    cannotOpen: (path: string) => `tar exited with code 1: tar: can't open '${path}': No such file or directory`,
    damaged: 'tar exited with code 1: tar: unexpected end of file',
  },
} as const;

function specifications(shell: () => Shell, tools: keyof typeof tarSays) {
  const says = tarSays[tools];

  describe('archive', () => {
    it('archives the whole volume into the one archive named, renamed from .partial once complete', () => {
      const v = volumes();
      make(v.student, work);
      const before = tree(v.student);

      const ended = archive(shell(), v);

      const bytes = archiveSize(v);
      expect(ended).toEqual({ code: 0, result: message('copied', { files: workFiles, bytes }) });
      expect(parseResult(ended.result)).toEqual({ status: 'copied', files: workFiles, bytes, kept: 0, late: 0 });
      expect(paths(v.store)).toEqual(['snap-1.tar.gz']);
      // The volume is only read.
      expect(tree(v.student)).toEqual(before);
      expect(pwned(v.dir)).toEqual([]);
    });

    it('archives an empty volume: no files, a small archive', () => {
      const v = volumes();

      const ended = archive(shell(), v);

      expect(ended).toEqual({ code: 0, result: message('copied', { files: 0, bytes: archiveSize(v) }) });
      expect(paths(v.store)).toEqual(['snap-1.tar.gz']);
    });

    it("fails ARCHIVE_FAILED with tar's exit code when the archive cannot be written, exits so, leaves no .partial", () => {
      const v = volumes();
      make(v.student, work);

      const target = join(v.store, 'missing', 'snap-1.tar.gz');

      const ended = archive(shell(), v, target);

      const reason = says.cannotOpen(`${target}.partial`);
      expect(ended).toEqual({
        code: tools === 'gnu' ? 2 : 1,
        result: message('failed', { files: workFiles }, `ARCHIVE_FAILED ${reason}`),
      });
      expect(parseResult(ended.result)).toEqual({
        status: 'failed',
        files: workFiles,
        bytes: 0,
        kept: 0,
        late: 0,
        reason: { code: 'ARCHIVE_FAILED', message: reason },
      });
      expect(paths(v.store)).toEqual([]);
    });

    it('fails SOURCE_UNREADABLE without the volume, exits 1, writes nothing', () => {
      const v = volumes();

      const ended = run(shell(), v, archiveScript, {
        MOOP_FROM: join(v.dir, 'no-volume'),
        MOOP_ARCHIVE: join(v.store, 'snap-1.tar.gz'),
      });

      expect(ended).toEqual({ code: 1, result: message('failed', {}, 'SOURCE_UNREADABLE cannot enter the volume') });
      expect(parseResult(ended.result)).toEqual({
        status: 'failed',
        files: 0,
        bytes: 0,
        kept: 0,
        late: 0,
        reason: { code: 'SOURCE_UNREADABLE', message: 'cannot enter the volume' },
      });
      expect(paths(v.store)).toEqual([]);
    });

    // Counted by find's arguments, not by lines: a name may hold a line break (it was counted as two files).
    it('counts a file whose name holds a line break as one file', () => {
      const v = volumes();
      make(v.student, { 'line\nbreak': 'x\n' });

      expect(archive(shell(), v)).toEqual({ code: 0, result: message('copied', { files: 1, bytes: archiveSize(v) }) });
    });
  });

  describe('restore beside', () => {
    it('unpacks into the folder named, the tree equal byte for byte: modes, file times, links, empty folders', () => {
      const { v, before, bytes } = archived(shell());
      const to = join(v.student, 'restored-2025-10-01T08-30-00Z');

      const ended = restore(shell(), v, 'beside', to);

      expect(ended).toEqual({ code: 0, result: message('copied', { files: workFiles, bytes }) });
      expect(parseResult(ended.result)).toEqual({ status: 'copied', files: workFiles, bytes, kept: 0, late: 0 });
      expect(tree(to)).toEqual(before);
      expect(tree(to)).toMatchObject({
        latest: { link: 'notebooks/week 1' },
        'empty folder/': 'folder',
        'run.sh': { mode: 0o755, mtime: past + 1 },
        'notebooks/week 2/deeper/still/answers.py': { mtime: later },
        'données/résumé — 日本語 ✓.txt': { data: Buffer.from('crème brûlée, 寿司\n') },
      });
      // What the volume held is untouched: the restored folder is the one thing added.
      const { ...now } = tree(v.student);
      for (const p of Object.keys(now)) if (p.startsWith('restored-')) delete now[p];
      expect(now).toEqual(before);
      expect(pwned(v.dir)).toEqual([]);
    });

    it('fails DESTINATION_EXISTS into a folder that exists already, exits 1, changes nothing', () => {
      const { v, bytes } = archived(shell());
      const to = join(v.student, 'restored-2025-10-01T08-30-00Z');
      make(to, { 'mine.txt': { data: 'already here\n', mtime: past } });
      const before = tree(v.student);

      const ended = restore(shell(), v, 'beside', to);

      expect(ended).toEqual({
        code: 1,
        result: message('failed', { bytes }, 'DESTINATION_EXISTS the folder to restore into exists already'),
      });
      expect(parseResult(ended.result)).toEqual({
        status: 'failed',
        files: 0,
        bytes,
        kept: 0,
        late: 0,
        reason: { code: 'DESTINATION_EXISTS', message: 'the folder to restore into exists already' },
      });
      expect(tree(v.student)).toEqual(before);
    });

    it('fails DESTINATION_EXISTS for a file of that name too', () => {
      const { v, bytes } = archived(shell());
      const to = join(v.student, 'restored-2025-10-01T08-30-00Z');
      writeFileSync(to, 'a file\n');

      expect(restore(shell(), v, 'beside', to)).toEqual({
        code: 1,
        result: message('failed', { bytes }, 'DESTINATION_EXISTS the folder to restore into exists already'),
      });
      expect(readFileSync(to, 'utf8')).toBe('a file\n');
    });

    it("fails ARCHIVE_MISSING when the snapshot's archive is not in the store, making nothing", () => {
      const v = volumes();
      make(v.student, work);
      const before = tree(v.student);

      const ended = restore(shell(), v, 'beside', join(v.student, 'restored-x'));

      expect(ended).toEqual({
        code: 1,
        result: message('failed', {}, "ARCHIVE_MISSING the snapshot's archive is not in the store"),
      });
      expect(parseResult(ended.result)?.reason).toEqual({
        code: 'ARCHIVE_MISSING',
        message: "the snapshot's archive is not in the store",
      });
      expect(tree(v.student)).toEqual(before);
    });
  });

  describe('restore replacing', () => {
    it('gives back exactly what the snapshot held: changed files as they were, added ones gone, deleted ones back', () => {
      const { v, before, bytes } = archived(shell());
      // Work since the snapshot: a file changed, files and folders added, files, a link and folders deleted.
      make(v.student, {
        'README.md': { data: 'Rewritten entirely\n', mtime: later + 86_400 },
        'new.txt': 'added since\n',
        'new folder/more.txt': 'added since\n',
        'restored-2025-10-01T08-30-00Z/README.md': 'an earlier restore\n',
      });
      chmodSync(join(v.student, 'run.sh'), 0o600);
      unlinkSync(join(v.student, 'data.bin'));
      unlinkSync(join(v.student, 'latest'));
      symlinkSync('README.md', join(v.student, 'latest'));
      rmSync(join(v.student, 'notebooks', 'week 2'), { recursive: true });
      rmSync(join(v.student, 'empty folder'), { recursive: true });

      const ended = restore(shell(), v, 'replace', v.student);

      expect(ended).toEqual({ code: 0, result: message('copied', { files: workFiles, bytes }) });
      expect(parseResult(ended.result)).toEqual({ status: 'copied', files: workFiles, bytes, kept: 0, late: 0 });
      expect(tree(v.student)).toEqual(before);
      expect(pwned(v.dir)).toEqual([]);
    });

    it('replaces a volume emptied since, and a volume restored twice is the same', () => {
      const { v, before, bytes } = archived(shell());
      for (const name of readdirSync(v.student)) rmSync(join(v.student, name), { recursive: true });

      expect(restore(shell(), v, 'replace', v.student)).toEqual({
        code: 0,
        result: message('copied', { files: workFiles, bytes }),
      });
      expect(tree(v.student)).toEqual(before);
      expect(restore(shell(), v, 'replace', v.student)).toEqual({
        code: 0,
        result: message('copied', { files: workFiles, bytes }),
      });
      expect(tree(v.student)).toEqual(before);
    });

    // GNU tar dates each folder once its entries are unpacked; busybox's tar (the real node's) dates a folder when it
    // makes it, and unpacking into it moves that on: with busybox only the files' times come back (README, Snapshots).
    it(`gives the volume's own folder the time it had in the snapshot${tools === 'gnu' ? '' : " (GNU tar only: busybox keeps the files' times)"}`, () => {
      const v = volumes();
      make(v.student, { 'a.txt': { data: 'a\n', mtime: past } });
      utimesSync(v.student, past, past);
      archive(shell(), v);
      writeFileSync(join(v.student, 'b.txt'), 'added\n');

      restore(shell(), v, 'replace', v.student);

      const dated = tools === 'gnu' ? v.student : join(v.student, 'a.txt');
      expect(Math.floor(statSync(dated).mtimeMs / 1000)).toBe(past);
    });

    it("fails RESTORE_FAILED on a damaged archive, exits with tar's code, and leaves the volume as it was", () => {
      const { v } = archived(shell());
      make(v.student, { 'README.md': { data: 'Rewritten since\n', mtime: later }, 'new.txt': 'added since\n' });
      const now = tree(v.student);
      const archivePath = join(v.store, 'snap-1.tar.gz');
      truncateSync(archivePath, Math.floor(statSync(archivePath).size / 2));
      const bytes = archiveSize(v);

      const ended = restore(shell(), v, 'replace', v.student);

      expect(ended).toEqual({
        code: tools === 'gnu' ? 2 : 1,
        result: message('failed', { bytes }, `RESTORE_FAILED ${says.damaged}`),
      });
      expect(parseResult(ended.result)).toEqual({
        status: 'failed',
        files: 0,
        bytes,
        kept: 0,
        late: 0,
        reason: { code: 'RESTORE_FAILED', message: says.damaged.trim() },
      });
      // Nothing removed, nothing added, no half-unpacked folder left.
      expect(tree(v.student)).toEqual(now);
    });

    it('fails RESTORE_FAILED on a damaged archive beside, leaving the volume exactly as it was (no half folder)', () => {
      const { v, before } = archived(shell());
      truncateSync(join(v.store, 'snap-1.tar.gz'), 20);
      const to = join(v.student, 'restored-2025-10-01T08-30-00Z');

      const ended = restore(shell(), v, 'beside', to);

      expect(ended).toEqual({
        code: tools === 'gnu' ? 2 : 1,
        result: message('failed', { bytes: 20 }, `RESTORE_FAILED ${says.damaged}`),
      });
      // A retry then meets no folder of its own making, and says the real cause again.
      expect(tree(v.student)).toEqual(before);
    });
  });

  describe('remove', () => {
    it('removes exactly the archives named, and their .partial, nothing else', () => {
      const v = volumes();
      make(v.store, {
        'snap-aaaaaaaaaaaaaaaaaaaa.tar.gz': 'a',
        'snap-aaaaaaaaaaaaaaaaaaaa.tar.gz.partial': 'a, half made',
        'snap-bbbbbbbbbbbbbbbbbbbb.tar.gz': 'b',
        'snap-cccccccccccccccccccc.tar.gz': 'c',
        'snap-cccccccccccccccccccc.tar.gz.partial': 'c, being made',
        'snap-aaaaaaaaaaaaaaaaaaaa.tar.gz.kept': 'not an archive of the list',
      });

      const ended = remove(shell(), v, ['snap-aaaaaaaaaaaaaaaaaaaa.tar.gz', 'snap-bbbbbbbbbbbbbbbbbbbb.tar.gz']);

      expect(ended).toEqual({ code: 0, result: message('copied', {}) });
      expect(parseResult(ended.result)).toEqual({ status: 'copied', files: 0, bytes: 0, kept: 0, late: 0 });
      expect(paths(v.store)).toEqual([
        'snap-aaaaaaaaaaaaaaaaaaaa.tar.gz.kept',
        'snap-cccccccccccccccccccc.tar.gz',
        'snap-cccccccccccccccccccc.tar.gz.partial',
      ]);
    });

    it('removes one archive, and answers copied for an archive already gone', () => {
      const { v } = archived(shell());

      expect(remove(shell(), v, ['snap-1.tar.gz'])).toEqual({ code: 0, result: message('copied', {}) });
      expect(paths(v.store)).toEqual([]);
      expect(remove(shell(), v, ['snap-1.tar.gz'])).toEqual({ code: 0, result: message('copied', {}) });
    });

    it('exits 1 without a store, writing no result', () => {
      const v = volumes();
      expect(
        run(shell(), v, removeScript, { MOOP_STORE: join(v.dir, 'no-store'), MOOP_REMOVE: 'snap-1.tar.gz' }),
      ).toEqual({ code: 1, result: undefined });
    });
  });
}

describe("with this machine's /bin/sh", () => {
  specifications(() => machine, 'gnu');

  // GNU tar's first line of a damaged archive is empty, gzip's complaint follows it: the reason takes the first non-empty one.
  it("says in a damaged archive's reason what GNU tar said of it", () => {
    const { v } = archived(machine);
    truncateSync(join(v.store, 'snap-1.tar.gz'), 20);

    expect(parseResult(restore(machine, v, 'replace', v.student).result)?.reason).toEqual({
      code: 'RESTORE_FAILED',
      message: 'tar exited with code 2: gzip: stdin: unexpected end of file',
    });
  });
});

withBusybox(join(base, 'busybox'), snapshotTools, (shell) => specifications(shell, 'busybox'));
