// The STS stand-in (sts-stand-in.py: moto's STS behind AWS's presigned-URL signature check), as a process of its own.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, probe } from '../../tools/cluster/processes.ts';
import { projectRoot } from '../../tools/offline.ts';
import { until } from './cluster.ts';

export interface StsStandIn {
  port: number;
  url: string;
  /** Process group, for the cluster to adopt. */
  pid: number;
  stop(): void;
}

export async function startStsStandIn(): Promise<StsStandIn> {
  const port = (await freePort())!;
  const python = join(projectRoot, '.local/venv/bin/python');
  // Its own process group, so that the cluster's clean-up can take it even after a SIGKILL of the run.
  const child = spawn(python, [join(import.meta.dirname, 'sts-stand-in.py'), String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const answering = async (): Promise<boolean> =>
    child.exitCode !== null || (await probe(`${url}/?Action=GetCallerIdentity&Version=2011-06-15`)) !== undefined;
  // A stand-in that exits or never answers is reported below, with what to do about it.
  await until('the STS stand-in to answer', answering, 15_000).catch(() => undefined);
  if ((await probe(`${url}/?Action=GetCallerIdentity&Version=2011-06-15`)) !== 200) {
    child.kill();
    throw new Error(
      `The STS stand-in (${python} test/support/sts-stand-in.py) did not start on port ${port}: run npm test, which installs moto into .local/venv`,
    );
  }
  return { port, url, pid: child.pid!, stop: () => void child.kill() };
}
