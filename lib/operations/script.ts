// The one shell script every copy of an operation runs, and how its result is read back. The script is a constant:
// what differs from student to student (folders, mode, cutoff) reaches it as environment variables, which a shell
// never parses as code, so no caller text reaches a shell. It runs in the tenant's image (busybox or alpine's sh,
// cp, find, stat, awk), one container per student, and always exits 0 after writing its result to the container's
// termination message, where the kubelet keeps it for the API server.
import { terminationLog } from '../copies/render.ts';

/** The environment one student's container gets (every value chosen or validated by the service). */
export interface ScriptInput {
  /** distribute: source to student, keeping or replacing files the student has; collect: student to destination. */
  job: 'distribute-keep' | 'distribute-replace' | 'collect';
  /** The folder copied from, and the mount it must stay inside (a symlink may not lead it elsewhere). */
  from: string;
  fromRoot: string;
  /** The folder copied into, made if missing, and the mount it must stay inside. */
  to: string;
  toRoot: string;
  /** Collect: files changed after this (seconds since the epoch) are counted late. */
  cutoff?: number;
  /** Where the result is written: the container's termination message. */
  result?: string;
}

/** The script's environment for input. */
export function scriptEnv(input: ScriptInput): Record<string, string> {
  return {
    MOOP_JOB: input.job,
    MOOP_FROM: input.from,
    MOOP_FROM_ROOT: input.fromRoot,
    MOOP_TO: input.to,
    MOOP_TO_ROOT: input.toRoot,
    MOOP_CUTOFF: input.cutoff === undefined ? '' : String(Math.floor(input.cutoff)),
    MOOP_RESULT: input.result ?? terminationLog,
  };
}

// Steps: resolve both folders (cd -P) and refuse one a symlink leads out of its mount; list what will be copied
// (sizes and times from the source, which is read-only, so the counts are what was there); copy with cp -a (symlinks
// stay links, modes and times kept), -n to keep what the student has; report. Errors keep their first line.
export const copyScript = `set -u
out="$MOOP_RESULT"; work=$(mktemp -d 2>/dev/null || echo /tmp/moop-copy.$$); mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
say() {
  # The reason is cut to 300 bytes: with the lines before it, a result fits the 512 bytes a container has.
  printf 'moop-copy 1\\nstatus %s\\nfiles %s\\nbytes %s\\nkept %s\\nlate %s\\nreason %s\\n' \\
    "$1" "\${files:-0}" "\${bytes:-0}" "\${kept:-0}" "\${late:-0}" "$(printf '%s %s' "\${2:-}" "\${3:-}" | cut -c 1-300)" > "$out"
  exit 0
}
firsterr() { head -n 1 "$work/err" 2>/dev/null | cut -c 1-300; }
inside() { case "$1/" in "$2"/*) return 0;; esac; return 1; }
[ -d "$MOOP_FROM" ] || say failed SOURCE_MISSING "no folder \${MOOP_FROM#"$MOOP_FROM_ROOT"} to copy from"
from=$(cd -P -- "$MOOP_FROM" 2>"$work/err" && pwd -P) || say failed SOURCE_UNREADABLE "$(firsterr)"
inside "$from" "$MOOP_FROM_ROOT" || say failed SOURCE_ESCAPES "the folder to copy from is a link out of its volume"
cd "$from" || say failed SOURCE_UNREADABLE "cannot enter the folder to copy from"
# The destination is resolved (and made) only when something is there to copy.
find . ! -type d | head -n 1 | grep -q . || say skipped NOTHING_TO_COPY "no files in the folder to copy from"
mkdir -p -- "$MOOP_TO" 2>"$work/err" || say failed DESTINATION_UNWRITABLE "$(firsterr)"
to=$(cd -P -- "$MOOP_TO" 2>"$work/err" && pwd -P) || say failed DESTINATION_UNWRITABLE "$(firsterr)"
inside "$to" "$MOOP_TO_ROOT" || say failed DESTINATION_ESCAPES "the folder to copy into is a link out of its volume"
if [ "$MOOP_JOB" = distribute-keep ]; then
  # File by file: cp -n of a whole tree skips a folder the student has (busybox), and what was kept is counted.
  find . -type d -exec sh -c 'for d; do mkdir -p -- "$0/$d" || exit 1; done' "$to" {} + 2>"$work/err" ||
    say failed DESTINATION_UNWRITABLE "$(firsterr)"
  find . ! -type d -exec sh -c 'for f; do
    if [ -e "$0/$f" ] || [ -L "$0/$f" ]; then echo k 0 0; continue; fi
    cp -a -- "$f" "$0/$f" || exit 1
    stat -c "c %s %Y" -- "$f"
  done' "$to" {} + > "$work/plan" 2>"$work/err"
  copied=$?
else
  find . ! -type d -exec stat -c "c %s %Y" -- {} + > "$work/plan" 2>"$work/err" || say failed SOURCE_UNREADABLE "$(firsterr)"
  cp -a -f -- ./. "$to"/ 2>"$work/err"
  copied=$?
fi
set -- $(awk -v cutoff="$MOOP_CUTOFF" '
  $1 == "k" { k++ } $1 == "c" { n++; b += $2; if (cutoff != "" && $3 > cutoff + 0) l++ }
  END { printf "%d %.0f %d %d\\n", n, b, k, l }' "$work/plan")
files=$1 bytes=$2 kept=$3 late=$4
[ "$copied" -eq 0 ] || say failed COPY_FAILED "$(firsterr)"
[ "$files" -gt 0 ] || say skipped NOTHING_TO_COPY "every file is there already (kept)"
say copied
`;

/** One student's result as the script reported it. */
export interface ScriptResult {
  status: 'copied' | 'skipped' | 'failed';
  files: number;
  bytes: number;
  kept: number;
  late: number;
  reason?: { code: string; message: string };
}

const count = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

/**
 * The result in a termination message, or undefined when the message is not the script's (a container killed before
 * it wrote, a message the kubelet filled from elsewhere). Read strictly: only the script's own lines count.
 */
export function parseResult(message: string | undefined): ScriptResult | undefined {
  const lines = (message ?? '').split('\n');
  if (lines[0] !== 'moop-copy 1') return undefined;
  const field = (name: string): string | undefined => {
    const line = lines.find((l) => l.startsWith(`${name} `));
    return line?.slice(name.length + 1);
  };
  const status = field('status');
  if (status !== 'copied' && status !== 'skipped' && status !== 'failed') return undefined;
  const [code, ...words] = (field('reason') ?? '').trim().split(' ');
  return {
    status,
    files: count(field('files')),
    bytes: count(field('bytes')),
    kept: count(field('kept')),
    late: count(field('late')),
    ...(code ? { reason: { code, message: words.join(' ').trim() } } : {}),
  };
}
