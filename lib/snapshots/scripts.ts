// The constant scripts of snapshots: archive a student's volume into their folder of the tenant's snapshot store,
// restore one archive (beside the current files, or replacing them), remove archives. As for class operations, what
// differs reaches them only as environment variables, and each reports in its termination message
// (operations/script.ts's format, read back by its parseResult). tar keeps contents, folders, symlinks, modes and
// modification times; busybox and GNU tar both restore times on extraction.

/** Archive: the student's volume (read-only) into MOOP_ARCHIVE, written beside and renamed only once complete. */
export const archiveScript = `set -u
out="$MOOP_RESULT"
say() {
  printf 'moop-copy 1\\nstatus %s\\nfiles %s\\nbytes %s\\nkept 0\\nlate 0\\nreason %s\\n' \\
    "$1" "\${files:-0}" "\${bytes:-0}" "$(printf '%s %s' "\${2:-}" "\${3:-}" | cut -c 1-300)" > "$out"
}
partial="$MOOP_ARCHIVE.partial"
cd "$MOOP_FROM" || { say failed SOURCE_UNREADABLE "cannot enter the volume"; exit 1; }
# Counted by find's arguments, not lines: a file name may hold a line break.
files=$(find . ! -type d -exec sh -c 'echo $#' sh {} + | awk '{ n += $1 } END { print n + 0 }')
tar -c -z -f "$partial" . 2> /tmp/moop-archive.err
code=$?
if [ "$code" -ne 0 ]; then
  rm -f "$partial"
  say failed ARCHIVE_FAILED "tar exited with code $code: $(grep -v '^$' /tmp/moop-archive.err | head -n 1)"
  exit "$code"
fi
mv -f "$partial" "$MOOP_ARCHIVE" || { rm -f "$partial"; say failed ARCHIVE_FAILED "the archive could not be kept"; exit 1; }
bytes=$(stat -c %s "$MOOP_ARCHIVE")
say copied
`;

/**
 * Restore: MOOP_ARCHIVE (read-only) into MOOP_TO. beside: a folder that must not exist yet, so nothing is overwritten.
 * replace: unpacked into a folder beside first (a damaged archive or a full disk changes nothing), then what the
 * volume holds is removed and the unpacked entries moved in: the volume is as it was when the snapshot was taken.
 */
export const restoreScript = `set -u
out="$MOOP_RESULT"
say() {
  printf 'moop-copy 1\\nstatus %s\\nfiles %s\\nbytes %s\\nkept 0\\nlate 0\\nreason %s\\n' \\
    "$1" "\${files:-0}" "\${bytes:-0}" "$(printf '%s %s' "\${2:-}" "\${3:-}" | cut -c 1-300)" > "$out"
}
[ -f "$MOOP_ARCHIVE" ] || { say failed ARCHIVE_MISSING "the snapshot's archive is not in the store"; exit 1; }
bytes=$(stat -c %s "$MOOP_ARCHIVE")
if [ "$MOOP_MODE" = beside ]; then
  [ -e "$MOOP_TO" ] && { say failed DESTINATION_EXISTS "the folder to restore into exists already"; exit 1; }
  into="$MOOP_TO"
else
  into="$MOOP_TO/.moop-restoring"
  rm -rf "$into"
fi
mkdir -p "$into" && tar -x -z -f "$MOOP_ARCHIVE" -C "$into" 2> /tmp/moop-restore.err
code=$?
if [ "$code" -ne 0 ]; then
  # What was half unpacked goes: beside, the folder was made by this restore (it did not exist); replace, the spare.
  rm -rf "$into"
  say failed RESTORE_FAILED "tar exited with code $code: $(grep -v '^$' /tmp/moop-restore.err | head -n 1)"
  exit "$code"
fi
files=$(cd "$into" && find . ! -type d -exec sh -c 'echo $#' sh {} + | awk '{ n += $1 } END { print n + 0 }')
if [ "$MOOP_MODE" = replace ]; then
  cd "$MOOP_TO" || exit 1
  # The snapshot's own time of the volume's folder, which tar gave .moop-restoring, kept before moving changes it.
  touch -r .moop-restoring /tmp/moop-root-time
  find . -mindepth 1 -maxdepth 1 ! -name .moop-restoring -exec rm -rf {} + &&
    find .moop-restoring -mindepth 1 -maxdepth 1 -exec mv {} . \\; &&
    rmdir .moop-restoring || { say failed RESTORE_FAILED "the restored files could not be moved in"; exit 1; }
  # The volume's own folder takes the time it had in the snapshot.
  touch -r /tmp/moop-root-time "$MOOP_TO" 2>/dev/null
fi
say copied
`;

/** Remove: the archives named in MOOP_REMOVE (one relative path a line, each checked by the service) from the store. */
export const removeScript = `set -u
cd "$MOOP_STORE" || exit 1
printf '%s\\n' "$MOOP_REMOVE" | while IFS= read -r archive; do
  [ -n "$archive" ] && rm -f -- "./$archive" "./$archive.partial"
done
printf 'moop-copy 1\\nstatus copied\\nfiles 0\\nbytes 0\\nkept 0\\nlate 0\\nreason  \\n' > "$MOOP_RESULT"
`;
