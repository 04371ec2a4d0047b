// The service's structured JSON logger (Powertools). Nothing logs headers, kubeconfigs or tokens.
import { Logger } from '@aws-lambda-powertools/logger';
// First: where invocations run concurrently, the store must exist before Powertools is constructed.
import './invocation.ts';

/** One logger per container; every line carries the service name and, during a request, its request id. */
export const logger = new Logger({ serviceName: 'moop-resource-service' });
