// The result of a cleanup run: counts and names per action, and what failed, in the same form for a dry run.

import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KubernetesObject } from '@kubernetes/client-node';

/**
 * deleteOutcome: a request's outcome kept under its Idempotency-Key, past its day;
 * deleteRecord: a removed tenant's record (an Idempotency-Key outcome, a notice, an operation);
 * settleOperation: a class operation whose copies all ended, its results kept in its record before the copies go;
 * deleteOperation: a class operation's record, past its 30 days;
 * deleteSnapshot: a snapshot past SNAPSHOT_RETENTION_DAYS: its archive removed by a copy, then its index entry;
 * advanceTerm: an end of term carried on: its archived students' claims and volumes removed;
 * reportOrphan: an object of a tenant the tenant service no longer knows, left in place (CLEANUP_ORPHANS=report);
 * list: only ever a failure, a tenant namespace whose objects could not be listed (the rest of the run goes on).
 */
export type CleanupAction =
  | 'deleteJob'
  | 'deletePod'
  | 'deleteClaim'
  | 'deleteVolume'
  | 'recycleVolume'
  | 'keepVolume'
  | 'reportOrphan'
  | 'deleteOutcome'
  | 'deleteRecord'
  | 'settleOperation'
  | 'deleteOperation'
  | 'deleteSnapshot'
  | 'advanceTerm'
  | 'list';

export interface CleanupSummary {
  mode: 'scheduled' | 'tenant-removed';
  dryRun: boolean;
  tenant?: string;
  actions: Partial<Record<CleanupAction, { count: number; names: string[] }>>;
  /** Scheduled runs: tenants the tenant service no longer knows whose objects remain (or were removed), sorted. */
  orphanTenants?: string[];
  failures: { action: CleanupAction; name: string; error: string }[];
}

/** "namespace/name", or "name" for cluster-scoped objects. */
export const objectKey = (o: KubernetesObject): string =>
  o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata?.name}`;

/** Collects a run's actions; names are sorted so that a dry run and a real run compare equal. */
export class CleanupReport {
  private readonly done = new Map<CleanupAction, Set<string>>();
  private readonly failed: CleanupSummary['failures'] = [];
  private readonly head: Pick<CleanupSummary, 'mode' | 'dryRun' | 'tenant'>;
  private readonly orphans = new Set<string>();

  constructor(head: Pick<CleanupSummary, 'mode' | 'dryRun' | 'tenant'>) {
    this.head = head;
  }

  /** Records action on obj once, however often a restarted listing shows obj. */
  record(action: CleanupAction, obj: KubernetesObject): void {
    const names = this.done.get(action) ?? new Set<string>();
    names.add(objectKey(obj));
    this.done.set(action, names);
  }

  /** Records a tenant the tenant service no longer knows, whose objects were found. */
  orphanTenant(tenant: string): void {
    this.orphans.add(tenant);
  }

  fail(action: CleanupAction, obj: KubernetesObject, err: unknown): void {
    this.failed.push({ action, name: objectKey(obj), error: err instanceof Error ? err.message : String(err) });
  }

  summary(): CleanupSummary {
    const actions: CleanupSummary['actions'] = {};
    for (const [action, names] of [...this.done].sort(([a], [b]) => a.localeCompare(b)))
      actions[action] = { count: names.size, names: [...names].sort() };
    const orphanTenants = this.head.mode === 'scheduled' ? { orphanTenants: [...this.orphans].sort() } : {};
    return {
      ...this.head,
      actions,
      ...orphanTenants,
      failures: [...this.failed].sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** The run's counts as metrics: CleanupActions per action (a dimension), and CleanupFailures. */
  measure(metrics: Metrics): void {
    const summary = this.summary();
    for (const [action, { count }] of Object.entries(summary.actions)) {
      const single = metrics.singleMetric();
      single.addDimension('action', action);
      single.addMetric('CleanupActions', MetricUnit.Count, count);
    }
    metrics.addMetric('CleanupFailures', MetricUnit.Count, summary.failures.length);
  }

  /** One log line per action and per failure, and one for the totals. */
  log(logger: Logger): CleanupSummary {
    const summary = this.summary();
    for (const [action, { count, names }] of Object.entries(summary.actions))
      logger.info('cleanup action', { ...this.head, action, count, names });
    for (const failure of summary.failures) logger.warn('cleanup failure', { ...this.head, ...failure });
    const counts = Object.fromEntries(Object.entries(summary.actions).map(([a, v]) => [a, v.count]));
    logger.info('cleanup finished', { ...this.head, counts, failures: summary.failures.length });
    return summary;
  }
}
