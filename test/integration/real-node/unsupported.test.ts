// Where the real node cannot run, the local cluster does not start without it silently: it fails and says why, and
// how to run without it. Tried as an unprivileged user (nobody), who cannot mount or make cgroups.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../tools/offline.ts';

it('refuses to start the local cluster for a user who cannot run the real node, naming why and MOOP_REAL_NODE=off', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moop-unsupported-'));
  chmodSync(dir, 0o755);
  const script = join(dir, 'start.ts');
  writeFileSync(
    script,
    `import { startCluster } from '${join(projectRoot, 'tools/cluster/cluster.ts')}';
try { await startCluster({ log: () => undefined }); console.log('started'); } catch (err) { console.log(err.message); }\n`,
  );
  chmodSync(script, 0o644);
  try {
    const node = join(projectRoot, 'node_modules/.bin/node');
    const out = execFileSync('su', ['nobody', '-s', '/bin/sh', '-c', `cd ${dir} && HOME=${dir} ${node} ${script}`], {
      encoding: 'utf8',
      env: { ...process.env, MOOP_REAL_NODE: '' },
    });

    expect(out.trim()).toBe(
      "The local cluster's real node cannot run on this machine: the real node needs root: kubelet and containerd mount volumes and make cgroups. " +
        "Set MOOP_REAL_NODE=off to run without it (copies then run only on kwok's fake nodes).",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
