// The one copy script of class operations, run for real: with this machine's /bin/sh and its tools, and with the
// busybox the real node's copies run (when its image is cached on this machine), over folders made for each case.
// What a student keeps, what is copied byte for byte (links as links, times and modes kept), what is counted late,
// where nothing is made, the folders a link may not lead out of, file names that are data and never code, and the
// result as the termination message holds it and as the service reads it back.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyScript, parseResult, type ScriptInput, scriptEnv } from '../../../lib/operations/script.ts';
import { machine, type Shell, withBusybox } from '../../support/busybox.ts';
import { type Made, make, tree } from '../../support/files.ts';

/** Every case's folders are made below base, which is removed after the tests. */
const base = realpathSync(mkdtempSync(join(tmpdir(), 'moop-script-')));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const copyTools = ['sh', 'cp', 'find', 'stat', 'awk', 'mkdir', 'head', 'cut', 'mktemp', 'grep'];

let cases = 0;
/** A case's folders: the roots of the source, student and destination volumes (as mounted), and where it runs. */
function volumes() {
  const dir = join(base, `case-${++cases}`);
  const v = {
    dir,
    source: join(dir, 'source'),
    student: join(dir, 'student'),
    destination: join(dir, 'destination'),
    tmp: join(dir, 'tmp'),
  };
  for (const d of Object.values(v)) mkdirSync(d, { recursive: true });
  return v;
}
type Volumes = ReturnType<typeof volumes>;

/** Runs the script with input as its environment; answers the termination message it wrote. */
function run(shell: Shell, v: Volumes, input: Omit<ScriptInput, 'result'>): string {
  const result = join(v.dir, `result-${Math.random().toString(36).slice(2)}`);
  execFileSync(shell.sh, ['-c', copyScript], {
    cwd: v.dir,
    env: { PATH: shell.path, TMPDIR: v.tmp, ...scriptEnv({ ...input, result }) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A copy that waits (on a named pipe, say) fails the test instead of hanging it.
    timeout: 30_000,
  });
  return readFileSync(result, 'utf8');
}

/** The termination message the script writes. */
const message = (
  status: string,
  counts: { files?: number; bytes?: number; kept?: number; late?: number },
  reason = ' ',
): string =>
  `moop-copy 1\nstatus ${status}\nfiles ${counts.files ?? 0}\nbytes ${counts.bytes ?? 0}\nkept ${counts.kept ?? 0}\n` +
  `late ${counts.late ?? 0}\nreason ${reason}\n`;

/** A file (content, and optionally its mtime in seconds and mode) or a link (its target) to make. */

/** The bytes the script counts for entries: a file's size, a link's target's length. */
const bytesOf = (entries: Made[]): number =>
  entries
    .map((e) =>
      typeof e === 'string' || Buffer.isBuffer(e)
        ? Buffer.byteLength(e)
        : 'link' in e
          ? Buffer.byteLength(e.link)
          : Buffer.byteLength(e.data),
    )
    .reduce((a, b) => a + b, 0);

const past = Math.floor(Date.parse('2026-01-15T09:00:00Z') / 1000);

/** Course material: nested folders, spaces, a binary file, an executable, links to a file and to a folder. */
const material = {
  'README.md': { data: 'Welcome to week 1\n', mtime: past },
  'run.sh': { data: '#!/bin/sh\necho hello\n', mode: 0o755, mtime: past },
  'notebooks/week 1/intro.ipynb': { data: '{"cells": [], "nbformat": 4}\n', mtime: past },
  'notebooks/week 1/data set.csv': { data: 'a,b\n1,2\n', mtime: past },
  'notebooks/empty folder/': '',
  'data.bin': { data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), mtime: past },
  latest: { link: 'notebooks/week 1' },
  'intro link.ipynb': { link: 'notebooks/week 1/intro.ipynb' },
} satisfies Record<string, Made>;
const materialFiles = Object.entries(material).filter(([p]) => !p.endsWith('/'));
const allBytes = bytesOf(materialFiles.map(([, m]) => m));
const readmeBytes = bytesOf([material['README.md']]);

/** The student's own folder before a distribution: an edited README and work of their own. */
const studentsOwn = {
  'README.md': { data: 'my own notes\n', mtime: past + 86_400 },
  'notebooks/week 1/answers.md': { data: '42\n', mtime: past + 86_400 },
} satisfies Record<string, Made>;

/** Names a shell would read as code, were they ever parsed: every one must be copied as a plain name. */
const hostileNames = {
  '$(touch pwned)': 'dollar-paren\n',
  '`touch pwned-backtick`': 'backticks\n',
  'a; touch pwned-semicolon': 'semicolon\n',
  '&& touch pwned-and || true': 'and-or\n',
  'x | touch pwned-pipe': 'pipe\n',
  '> pwned-redirect': 'redirect\n',
  'it\'s "quoted"': 'quotes\n',
  'line\nbreak': 'newline\n',
  'tab\there': 'tab\n',
  '-rf': 'leading dash\n',
  '*': 'star\n',
  '$HOME and ${PATH}': 'variables\n',
  'back\\slash': 'backslash\n',
  // A path whose folders spell a command: "$(touch /tmp/pwned)" relative to the folder copied.
  '$(touch /tmp/pwned)': 'nested\n',
  '$(touch /tmp/pwned) dir/': '',
  'link $(touch pwned-link)': { link: '$(touch pwned-target)' },
} satisfies Record<string, Made>;
/** What a command hidden in those names would make, relative to the script's folders. */
const pwnedNames = [
  'pwned',
  'pwned-backtick',
  'pwned-semicolon',
  'pwned-and',
  'pwned-pipe',
  'pwned-redirect',
  'pwned-link',
  'pwned-target',
];
const hostileFiles = Object.entries(hostileNames).filter(([p]) => !p.endsWith('/'));

/** Every path below dir whose last name is one a hidden command would make. */
function pwnedBelow(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const at = join(d, name);
      if (pwnedNames.includes(name)) found.push(at);
      if (lstatSync(at).isDirectory()) walk(at);
    }
  };
  walk(dir);
  return found;
}

function specifications(shell: () => Shell) {
  describe('distribute, keeping what the student has', () => {
    it("keeps the student's edited file and work of their own, copies the rest byte for byte, links as links", () => {
      const v = volumes();
      make(join(v.source, 'course', 'week1'), material);
      make(join(v.student, 'work'), studentsOwn);
      const sourceTree = tree(join(v.source, 'course', 'week1'));
      const studentTree = tree(join(v.student, 'work'));
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'course', 'week1'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('copied', { files: materialFiles.length - 1, bytes: allBytes - readmeBytes, kept: 1 }),
      );
      expect(tree(join(v.student, 'work'))).toEqual({ ...sourceTree, ...studentTree });
      expect(tree(join(v.student, 'work'))).toMatchObject({
        'README.md': { data: Buffer.from('my own notes\n') },
        latest: { link: 'notebooks/week 1' },
        'intro link.ipynb': { link: 'notebooks/week 1/intro.ipynb' },
        'notebooks/empty folder/': 'folder',
        'run.sh': { mode: 0o755, mtime: past },
        'data.bin': { data: material['data.bin'].data },
      });
    });

    it('makes the folder to copy into, with its parents, when the student has none', () => {
      const v = volumes();
      make(join(v.source, 'm'), material);
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'courses', 'ds101'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: materialFiles.length, bytes: allBytes }));
      expect(tree(join(v.student, 'courses', 'ds101'))).toEqual(tree(join(v.source, 'm')));
    });

    it('copies the whole volume when the folder copied from is its root', () => {
      const v = volumes();
      make(v.source, { 'a.txt': 'a\n', 'b/c.txt': 'cc\n' });
      const input = {
        job: 'distribute-keep',
        from: v.source,
        fromRoot: v.source,
        to: v.student,
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 2, bytes: 5 }));
      expect(tree(v.student)).toEqual(tree(v.source));
    });

    it('a second time, copies nothing and says so: skipped NOTHING_TO_COPY, every file counted as kept', () => {
      const v = volumes();
      make(join(v.source, 'm'), material);
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;
      run(shell(), v, input);
      const before = tree(join(v.student, 'work'));

      expect(run(shell(), v, input)).toBe(
        message('skipped', { kept: materialFiles.length }, 'NOTHING_TO_COPY every file is there already (kept)'),
      );
      expect(tree(join(v.student, 'work'))).toEqual(before);
    });

    it('keeps a link the student has in place of a file, even a dangling one', () => {
      const v = volumes();
      make(join(v.source, 'm'), { 'a.txt': 'a\n', 'b.txt': 'b\n' });
      make(join(v.student, 'w'), { 'a.txt': { link: 'nowhere' } });
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'w'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 1, bytes: 2, kept: 1 }));
      expect(tree(join(v.student, 'w'))).toEqual({
        'a.txt': { link: 'nowhere' },
        'b.txt': tree(join(v.source, 'm'))['b.txt'],
      });
    });
  });

  describe('distribute, replacing', () => {
    it("gives every file the source's content, leaving the student's other work", () => {
      const v = volumes();
      make(join(v.source, 'm'), material);
      make(join(v.student, 'work'), studentsOwn);
      const { 'notebooks/week 1/answers.md': answers } = tree(join(v.student, 'work'));
      const input = {
        job: 'distribute-replace',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: materialFiles.length, bytes: allBytes }));
      expect(tree(join(v.student, 'work'))).toEqual({
        ...tree(join(v.source, 'm')),
        'notebooks/week 1/answers.md': answers,
      });
    });

    it('replaces again over its own copy, links included', () => {
      const v = volumes();
      make(join(v.source, 'm'), material);
      const input = {
        job: 'distribute-replace',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;
      run(shell(), v, input);
      writeFileSync(join(v.student, 'work', 'run.sh'), 'rm -rf /\n');

      expect(run(shell(), v, input)).toBe(message('copied', { files: materialFiles.length, bytes: allBytes }));
      expect(tree(join(v.student, 'work'))).toEqual(tree(join(v.source, 'm')));
    });
  });

  describe('collect', () => {
    const cutoff = Math.floor(Date.parse('2026-03-08T23:59:59Z') / 1000);
    const work = {
      'answer.py': { data: 'print(42)\n', mtime: cutoff - 3600 },
      'notes.md': { data: 'on time, to the second\n', mtime: cutoff },
      'late work/fix.py': { data: 'print(43)\n', mtime: cutoff + 60 },
      'report.pdf': { data: Buffer.from('%PDF-1.7\n\u0000\u00ff'), mtime: cutoff + 7200 },
    } satisfies Record<string, Made>;
    const workBytes = bytesOf(Object.values(work));

    it('copies everything, counting as late the files changed after the cutoff (not at it)', () => {
      const v = volumes();
      make(join(v.student, 'hw1'), work);
      const to = join(v.destination, 'collected', 'hw1', 'alice');
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to,
        toRoot: v.destination,
        cutoff,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 4, bytes: workBytes, late: 2 }));
      expect(tree(to)).toEqual(tree(join(v.student, 'hw1')));
      expect(tree(to)).toMatchObject({ 'late work/fix.py': { mtime: cutoff + 60 }, 'notes.md': { mtime: cutoff } });
    });

    it('counts nothing late without a cutoff, and copies links as links', () => {
      const v = volumes();
      make(join(v.student, 'hw1'), { ...work, 'latest.py': { link: 'answer.py' } });
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to: v.destination,
        toRoot: v.destination,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 5, bytes: workBytes + 'answer.py'.length }));
      expect(tree(v.destination)).toEqual(tree(join(v.student, 'hw1')));
    });

    it('collects again over what it collected, the newer work winning', () => {
      const v = volumes();
      make(join(v.student, 'hw1'), work);
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to: v.destination,
        toRoot: v.destination,
        cutoff,
      } as const;
      run(shell(), v, input);
      make(join(v.student, 'hw1'), { 'answer.py': { data: 'print(44)\n', mtime: cutoff + 1 } });

      expect(run(shell(), v, input)).toBe(message('copied', { files: 4, bytes: workBytes, late: 3 }));
      expect(tree(v.destination)).toEqual(tree(join(v.student, 'hw1')));
    });

    it("copies a named pipe in the student's folder as a pipe, never waiting to read it", () => {
      const v = volumes();
      make(join(v.student, 'hw1'), { 'answer.py': 'print(42)\n' });
      execFileSync('mkfifo', [join(v.student, 'hw1', 'pipe')]);
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to: v.destination,
        toRoot: v.destination,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 2, bytes: 10 }));
      expect([
        lstatSync(join(v.destination, 'pipe')).isFIFO(),
        readFileSync(join(v.destination, 'answer.py'), 'utf8'),
      ]).toEqual([true, 'print(42)\n']);
    });
  });

  describe('nothing to copy, or nowhere it may go', () => {
    it('fails SOURCE_MISSING without a folder to copy from, and makes no folder to copy into', () => {
      const v = volumes();
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'course', 'nothing'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('failed', {}, 'SOURCE_MISSING no folder /course/nothing to copy from'),
      );
      expect(existsSync(join(v.student, 'work'))).toBe(false);
    });

    it("fails SOURCE_MISSING for a student's missing folder in a collection, making nothing", () => {
      const v = volumes();
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to: join(v.destination, 'hw1', 'alice'),
        toRoot: v.destination,
      } as const;

      expect(run(shell(), v, input)).toBe(message('failed', {}, 'SOURCE_MISSING no folder /hw1 to copy from'));
      expect(tree(v.destination)).toEqual({});
    });

    it('skips an empty source (folders only) as NOTHING_TO_COPY, and makes no folder to copy into', () => {
      const v = volumes();
      make(join(v.source, 'm'), { 'a/b/': '', 'c/': '' });
      const input = {
        job: 'distribute-replace',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'work'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('skipped', {}, 'NOTHING_TO_COPY no files in the folder to copy from'),
      );
      expect(existsSync(join(v.student, 'work'))).toBe(false);
    });

    it('fails SOURCE_ESCAPES for a source folder that is a link out of its volume, reading and making nothing', () => {
      const v = volumes();
      make(join(v.dir, 'outside'), { 'secret.txt': 'not yours\n' });
      make(v.source, { course: { link: '../outside' } });
      const input = {
        job: 'collect',
        from: join(v.source, 'course'),
        fromRoot: v.source,
        to: join(v.destination, 'alice'),
        toRoot: v.destination,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('failed', {}, 'SOURCE_ESCAPES the folder to copy from is a link out of its volume'),
      );
      expect(tree(v.destination)).toEqual({});
    });

    it("fails SOURCE_ESCAPES for a link to a sibling whose name begins with the volume's", () => {
      const v = volumes();
      make(`${v.source}-old`, { 'm/a.txt': 'a\n' });
      make(v.source, { m: { link: `${v.source}-old/m` } });
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'w'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('failed', {}, 'SOURCE_ESCAPES the folder to copy from is a link out of its volume'),
      );
      expect(existsSync(join(v.student, 'w'))).toBe(false);
    });

    it('follows a source folder that is a link inside its volume', () => {
      const v = volumes();
      make(v.source, { 'week1/a.txt': 'a\n', current: { link: 'week1' } });
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'current'),
        fromRoot: v.source,
        to: join(v.student, 'w'),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 1, bytes: 2 }));
      expect(tree(join(v.student, 'w'))).toEqual(tree(join(v.source, 'week1')));
    });

    it('fails DESTINATION_ESCAPES for a folder to copy into that is a link out of its volume, writing nothing', () => {
      const v = volumes();
      make(v.source, { 'm/a.txt': 'a\n' });
      make(join(v.dir, 'elsewhere'), { 'keep.txt': 'untouched\n' });
      make(v.student, { work: { link: '../elsewhere' } });
      const elsewhere = tree(join(v.dir, 'elsewhere'));
      for (const job of ['distribute-keep', 'distribute-replace'] as const) {
        const input = {
          job,
          from: join(v.source, 'm'),
          fromRoot: v.source,
          to: join(v.student, 'work'),
          toRoot: v.student,
        };

        expect(run(shell(), v, input)).toBe(
          message('failed', {}, 'DESTINATION_ESCAPES the folder to copy into is a link out of its volume'),
        );
      }
      expect(tree(join(v.dir, 'elsewhere'))).toEqual(elsewhere);
    });

    it('fails DESTINATION_ESCAPES for a collection whose folder to copy into leads out through a link', () => {
      const v = volumes();
      make(v.student, { 'hw1/a.txt': 'a\n' });
      make(v.destination, { hw1: { link: join(v.dir, 'elsewhere') } });
      mkdirSync(join(v.dir, 'elsewhere'));
      const input = {
        job: 'collect',
        from: join(v.student, 'hw1'),
        fromRoot: v.student,
        to: join(v.destination, 'hw1', 'alice'),
        toRoot: v.destination,
      } as const;

      expect(run(shell(), v, input)).toBe(
        message('failed', {}, 'DESTINATION_ESCAPES the folder to copy into is a link out of its volume'),
      );
      // No file is written there (the folder to copy into may have been made, empty, before it was resolved).
      expect(Object.values(tree(join(v.dir, 'elsewhere'))).filter((e) => e !== 'folder')).toEqual([]);
    });
  });

  describe('file names that a shell would read as code', () => {
    const hostileBytes = bytesOf(hostileFiles.map(([, m]) => m));

    it.each([['distribute-keep'], ['distribute-replace'], ['collect']] as const)(
      'are copied as data by %s, and nothing they spell is run',
      (job) => {
        const v = volumes();
        const pwnedBefore = existsSync('/tmp/pwned');
        make(join(v.source, 'm'), hostileNames);
        const input = {
          job,
          from: join(v.source, 'm'),
          fromRoot: v.source,
          to: join(v.student, 'w'),
          toRoot: v.student,
        };

        expect(run(shell(), v, input)).toBe(message('copied', { files: hostileFiles.length, bytes: hostileBytes }));
        expect(tree(join(v.student, 'w'))).toEqual(tree(join(v.source, 'm')));
        expect(pwnedBelow(v.dir)).toEqual([]);
        expect(existsSync('/tmp/pwned')).toBe(pwnedBefore);
      },
    );

    it('in the folder copied from and into, are data too', () => {
      const v = volumes();
      const folder = '$(touch pwned); `touch pwned-backtick` "x\'y\nz"';
      make(join(v.source, folder), { 'a.txt': 'a\n' });
      const input = {
        job: 'distribute-keep',
        from: join(v.source, folder),
        fromRoot: v.source,
        to: join(v.student, folder),
        toRoot: v.student,
      } as const;

      expect(run(shell(), v, input)).toBe(message('copied', { files: 1, bytes: 2 }));
      expect(tree(join(v.student, folder))).toEqual(tree(join(v.source, folder)));
      expect(pwnedBelow(v.dir)).toEqual([]);
    });
  });

  describe('its result, read back', () => {
    it('parses the message the script wrote', () => {
      const v = volumes();
      make(join(v.source, 'm'), { 'a.txt': 'a\n', 'b.txt': 'bb\n' });
      make(join(v.student, 'w'), { 'a.txt': 'mine\n' });
      const input = {
        job: 'distribute-keep',
        from: join(v.source, 'm'),
        fromRoot: v.source,
        to: join(v.student, 'w'),
        toRoot: v.student,
      } as const;

      expect(parseResult(run(shell(), v, input))).toEqual({ status: 'copied', files: 1, bytes: 3, kept: 1, late: 0 });
      expect(parseResult(run(shell(), v, input))).toEqual({
        status: 'skipped',
        files: 0,
        bytes: 0,
        kept: 2,
        late: 0,
        reason: { code: 'NOTHING_TO_COPY', message: 'every file is there already (kept)' },
      });
    });
  });
}

describe("with this machine's /bin/sh", () => {
  specifications(() => machine);
});

withBusybox(join(base, 'busybox'), copyTools, (shell) => specifications(shell));

describe('scriptEnv', () => {
  it('gives every input as a variable, the cutoff in whole seconds, the result by default in the termination log', () => {
    expect(
      scriptEnv({
        job: 'collect',
        from: '/moop/student/hw',
        fromRoot: '/moop/student',
        to: '/d',
        toRoot: '/d',
        cutoff: 1.9e9 + 0.75,
      }),
    ).toEqual({
      MOOP_JOB: 'collect',
      MOOP_FROM: '/moop/student/hw',
      MOOP_FROM_ROOT: '/moop/student',
      MOOP_TO: '/d',
      MOOP_TO_ROOT: '/d',
      MOOP_CUTOFF: '1900000000',
      MOOP_RESULT: '/dev/termination-log',
    });
  });

  it('leaves the cutoff empty when there is none', () => {
    expect(scriptEnv({ job: 'distribute-keep', from: '/a', fromRoot: '/a', to: '/b', toRoot: '/b' })).toMatchObject({
      MOOP_CUTOFF: '',
    });
  });
});

describe('parseResult', () => {
  const full = message('late', {});
  it.each([
    ['no message', undefined],
    ['an empty message', ''],
    ['a message from elsewhere', 'Error: OOMKilled\n'],
    ['another version', 'moop-copy 2\nstatus copied\nfiles 1\n'],
    ['a first line with a carriage return', 'moop-copy 1\r\nstatus copied\r\n'],
    ['a status the script never writes', full],
    ['no status', 'moop-copy 1\nfiles 3\nbytes 9\n'],
    ['a message cut inside the status', 'moop-copy 1\nstatus cop'],
    ['a message cut before the status', 'moop-copy 1\n'],
    ['the header not first', 'hello\nmoop-copy 1\nstatus copied\n'],
  ])('answers undefined for %s', (_, text) => {
    expect(parseResult(text)).toBeUndefined();
  });

  it('reads every count and the reason, its message keeping its spaces', () => {
    expect(
      parseResult(message('failed', { files: 3, bytes: 1024, kept: 2, late: 1 }, 'COPY_FAILED cp: cannot create  x')),
    ).toEqual({
      status: 'failed',
      files: 3,
      bytes: 1024,
      kept: 2,
      late: 1,
      reason: { code: 'COPY_FAILED', message: 'cp: cannot create  x' },
    });
  });

  it('reads a message cut after the status (the kubelet keeps a share of 12 KiB), missing counts as 0', () => {
    expect(parseResult('moop-copy 1\nstatus copied\nfiles 12\nbyt')).toEqual({
      status: 'copied',
      files: 12,
      bytes: 0,
      kept: 0,
      late: 0,
    });
  });

  it('reads a reason cut short as far as it goes', () => {
    expect(
      parseResult('moop-copy 1\nstatus failed\nfiles 0\nbytes 0\nkept 0\nlate 0\nreason SOURCE_MISSING no fol'),
    ).toEqual({
      status: 'failed',
      files: 0,
      bytes: 0,
      kept: 0,
      late: 0,
      reason: { code: 'SOURCE_MISSING', message: 'no fol' },
    });
  });

  it('counts as 0 what is not a safe count: negative, fractional, words, too big', () => {
    const junk = 'moop-copy 1\nstatus copied\nfiles -3\nbytes 99999999999999999999\nkept 2.5\nlate many\nreason  \n';
    expect(parseResult(junk)).toEqual({ status: 'copied', files: 0, bytes: 0, kept: 0, late: 0 });
  });

  it('has no reason when the reason line is empty or missing', () => {
    expect(parseResult(message('copied', { files: 1, bytes: 2 }))).toEqual({
      status: 'copied',
      files: 1,
      bytes: 2,
      kept: 0,
      late: 0,
    });
    expect(parseResult('moop-copy 1\nstatus skipped\n')).toEqual({
      status: 'skipped',
      files: 0,
      bytes: 0,
      kept: 0,
      late: 0,
    });
  });
});
