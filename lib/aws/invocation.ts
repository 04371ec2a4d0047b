// Each invocation in a context of its own where one process runs several at once: Lambda's multi-concurrency
// (AWS_LAMBDA_MAX_CONCURRENCY), serverless-offline in process, the test suite's runtime. Powertools keeps a request's
// log keys and metrics in the InvokeStore there; Lambda's runtime opens that context itself, other hosts do not.
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

type Handler<E, C, R> = (event: E, context: C) => Promise<R>;

/**
 * The store of invocation contexts, made if the host has not made it, where invocations run concurrently; Powertools'
 * logger and metrics need it from the moment they are constructed.
 */
export async function invocationStore(): Promise<InvokeStoreBase | undefined> {
  if (!process.env.AWS_LAMBDA_MAX_CONCURRENCY) return undefined;
  const store = await InvokeStore.getInstanceAsync(true);
  // Powertools finds the store on globalThis.awslambda, which a host may replace when it loads another handler
  // (serverless-offline in process does, for each function): put it back.
  globalThis.awslambda ??= {} as typeof globalThis.awslambda;
  globalThis.awslambda.InvokeStore ??= store;
  return store;
}

await invocationStore();

/** handler, run in an invocation context of its own unless the host gave it one or runs one invocation at a time. */
export function ownInvocation<E, C extends { awsRequestId?: string }, R>(handler: Handler<E, C, R>): Handler<E, C, R> {
  return async (event, context) => {
    const store = await invocationStore();
    if (!store || store.hasContext()) return handler(event, context);
    const requestId = context?.awsRequestId ?? crypto.randomUUID();
    return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, () => handler(event, context));
  };
}
