// The service's structured JSON logger (Powertools). Nothing logs headers, kubeconfigs or tokens.
import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per container; every line carries the service name and, during a request, its request id. */
export const logger = new Logger({ serviceName: 'moop-resource-service' });
