// Folders of this machine as an admin's hostPath volumes, claimed through the service's match claims, as MOOP's NFS
// volumes are: what the real node's copies read and write (the node runs on this machine, so the test reads the
// files it wrote). One set per test file; remove() deletes the volumes and the folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaimAnswer } from './answers.ts';
import { call } from './api.ts';
import { admin, until } from './cluster.ts';

export interface HostVolumes {
  /** A new folder of the machine, removed with the set. */
  folder(what: string): string;
  /** folder as username's volume of tenant (tag: the set's suffix), claimed and Bound; the claim's name. */
  claim(tenant: string, username: string, folder: string): Promise<string>;
  remove(): Promise<void>;
}

export function hostVolumes(suffix: string): HostVolumes {
  const { core } = admin();
  const volumes: string[] = [];
  const folders: string[] = [];
  return {
    folder(what) {
      const dir = mkdtempSync(join(tmpdir(), `moop-${what}-`));
      folders.push(dir);
      return dir;
    },
    async claim(tenant, username, folder) {
      const claim = await call<ClaimAnswer>('POST', '/service/v1/volumes/pvcs', {
        body: { tenant, username, tag: suffix, match: true },
      });
      expect(claim.status).toBe(201);
      // Numbered: the same student may be given a second volume (a new term).
      const name = `host-${tenant.slice(-4)}-${username}-${suffix}-${volumes.length}`.toLowerCase();
      volumes.push(name);
      await core.createPersistentVolume({
        body: {
          // Labelled as the match claim selects: the service's volume of this tenant.
          metadata: { name, labels: claim.body.spec?.selector?.matchLabels },
          spec: {
            accessModes: ['ReadWriteMany'],
            capacity: { storage: '100Mi' },
            storageClassName: '',
            hostPath: { path: folder, type: 'Directory' },
          },
        },
      });
      await until(
        `claim ${claim.body.metadata.name} to bind ${name}`,
        async () => {
          const read = await call<ClaimAnswer>('GET', '/service/v1/volumes/pvcs', {
            query: { tenant, username, tag: suffix },
          });
          return read.body.status?.phase === 'Bound';
        },
        60_000,
      );
      return claim.body.metadata.name;
    },
    async remove() {
      for (const name of volumes) await core.deletePersistentVolume({ name }).catch(() => undefined);
      for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    },
  };
}
