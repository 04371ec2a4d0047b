// What the global setup started, kept on the process for the global teardown (both run in jest's parent context).
import type { WriteStream } from 'node:fs';
import type { Server } from 'node:http';
import type { LocalCluster } from '../../../tools/cluster/cluster.ts';
import type { Offline } from '../../../tools/offline.ts';
import type { FakeTenantService } from '../../../tools/tenant-service.ts';
import type { EksAuthenticator } from '../../support/eks-authenticator.ts';
import type { StsStandIn } from '../../support/sts.ts';

export interface Running {
  cluster: LocalCluster;
  offline: Offline;
  control: Server;
  offlineOut: WriteStream;
  tenantService: FakeTenantService;
  sts: StsStandIn;
  authenticator: EksAuthenticator;
}

const key = Symbol.for('moop.integration.running');

export function setRunning(running: Running): void {
  (process as unknown as Record<symbol, Running>)[key] = running;
}

export function takeRunning(): Running | undefined {
  const holder = process as unknown as Record<symbol, Running | undefined>;
  const running = holder[key];
  holder[key] = undefined;
  return running;
}
