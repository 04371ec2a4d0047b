// The service's metrics, in CloudWatch's embedded format through Powertools Metrics: written as log lines, so that
// they cost no API call; one namespace, the service as the default dimension (what the template's alarms read).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
// First: where invocations run concurrently, the store must exist before Powertools is constructed.
import './invocation.ts';

export { MetricUnit };

/** One Metrics per container; handlers publish it with middy's logMetrics middleware. */
export const metrics = new Metrics({ namespace: 'MOOP/ResourceService', serviceName: 'moop-resource-service' });
