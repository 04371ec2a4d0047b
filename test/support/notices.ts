// Completion notices' other end, locally: moto's EventBridge (in server mode, one for the suite) with a rule on the
// default bus that sends the service's events to an SQS queue, and that queue read back, as a consumer would.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DeleteRuleCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { eventBridge, type Publisher } from '../../lib/aws/events.ts';
import { KubeClient } from '../../lib/kube/client.ts';
import { loadKubeconfig } from '../../lib/kube/kubeconfig.ts';
import { Resources } from '../../lib/kube/resources.ts';
import { type NotifierSummary, runNotifier } from '../../lib/notices/notifier.ts';
import { noticeLabel } from '../../lib/notices/record.ts';
import { type NoticeDetail, noticeSource } from '../../lib/notices/schemas.ts';
import { recordsNamespace } from '../../lib/ownership/ownership.ts';
import { freePort, probe } from '../../tools/cluster/processes.ts';
import { projectRoot } from '../../tools/offline.ts';
import { invoke } from './api.ts';
import { admin, until } from './cluster.ts';

/** The fake credentials and region the suite's functions sign moto's requests with. */
export const fakeAws = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'eu-west-1' };

export interface Moto {
  url: string;
  /** Process group, for the cluster to adopt. */
  pid: number;
  stop(): void;
}

const key = Symbol.for('moop.integration.moto');
const holder = process as unknown as Record<symbol, Moto | undefined>;

/** Starts moto in server mode on a free loopback port (every service, EventBridge and SQS among them). */
export async function startMoto(): Promise<Moto> {
  const port = (await freePort())!;
  const server = join(projectRoot, '.local/venv/bin/moto_server');
  // Its own process group, so that the cluster's clean-up can take it even after a SIGKILL of the run.
  const child: ChildProcess = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const answering = async (): Promise<boolean> => (await probe(`${url}/moto-api/`)) !== undefined;
  await until('moto to answer', async () => child.exitCode !== null || (await answering()), 20_000).catch(
    () => undefined,
  );
  if (!(await answering())) {
    child.kill();
    throw new Error(`moto (${server}) did not start on port ${port}: run npm test, which installs it into .local/venv`);
  }
  const moto = { url, pid: child.pid!, stop: () => void child.kill() };
  holder[key] = moto;
  return moto;
}

/** Stops the moto startMoto started in this process, if any. */
export function stopMoto(): void {
  holder[key]?.stop();
  holder[key] = undefined;
}

/** An event as EventBridge delivers it to SQS: the envelope, with the service's detail. */
export interface DeliveredEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  region: string;
  resources: string[];
  detail: NoticeDetail;
}

/** A queue that receives every event the service publishes on the default bus, through a rule of its own. */
export interface NoticeQueue {
  /** Every message in the queue now, each deleted once read, in the order the queue gave them. */
  drain(): Promise<DeliveredEvent[]>;
  /** Removes the rule and the queue. */
  remove(): Promise<void>;
}

const awsUrl = (): string => {
  const url = process.env.MOOP_TEST_AWS_URL;
  if (!url) throw new Error('MOOP_TEST_AWS_URL is not set: run integration tests through jest (npm test)');
  return url;
};

/** EventBridge, moto's, as the suite's functions reach it. */
export function events(): EventBridgeClient {
  return new EventBridgeClient({
    endpoint: awsUrl(),
    region: fakeAws.AWS_REGION,
    credentials: { accessKeyId: fakeAws.AWS_ACCESS_KEY_ID, secretAccessKey: fakeAws.AWS_SECRET_ACCESS_KEY },
  });
}

/**
 * One call of SQS's JSON protocol. moto does not check signatures; the credential scope only routes the request to
 * SQS and its region (the project has no SQS client, and needs none).
 */
async function sqs<T>(action: string, body: object): Promise<T> {
  const response = await fetch(awsUrl(), {
    method: 'POST',
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${fakeAws.AWS_REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0`,
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${action}`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`SQS ${action} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Makes a queue and a rule {source: [moop.resource-service]} on the default bus that targets it. */
export async function noticeQueue(name = `notices-${randomBytes(3).toString('hex')}`): Promise<NoticeQueue> {
  const { QueueUrl } = await sqs<{ QueueUrl: string }>('CreateQueue', { QueueName: name });
  const { Attributes } = await sqs<{ Attributes: { QueueArn: string } }>('GetQueueAttributes', {
    QueueUrl,
    AttributeNames: ['QueueArn'],
  });
  const client = events();
  await client.send(
    new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: ['moop.resource-service'] }) }),
  );
  await client.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: Attributes.QueueArn }] }));
  return {
    async drain() {
      const all: DeliveredEvent[] = [];
      for (;;) {
        const { Messages = [] } = await sqs<{ Messages?: { Body: string; ReceiptHandle: string }[] }>(
          'ReceiveMessage',
          { QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 },
        );
        if (Messages.length === 0) return all;
        for (const m of Messages) {
          all.push(JSON.parse(m.Body) as DeliveredEvent);
          await sqs('DeleteMessage', { QueueUrl, ReceiptHandle: m.ReceiptHandle });
        }
      }
    },
    async remove() {
      await client.send(new RemoveTargetsCommand({ Rule: name, Ids: ['queue'] })).catch(() => undefined);
      await client.send(new DeleteRuleCommand({ Name: name })).catch(() => undefined);
      await sqs('DeleteQueue', { QueueUrl }).catch(() => undefined);
      client.destroy();
    },
  };
}

/**
 * The notice ConfigMaps about namespace whose correlation id starts with prefix (the admin's view), by name: kept in the
 * records namespace, never in the tenant's; one found in namespace itself fails the test.
 */
export async function noticeMaps(namespace: string, prefix: string): Promise<V1ConfigMap[]> {
  const { core } = admin();
  const { items: misplaced } = await core.listNamespacedConfigMap({ namespace, labelSelector: noticeLabel });
  if (misplaced.length > 0) throw new Error(`notices kept in ${namespace}: ${misplaced.map((m) => m.metadata?.name)}`);
  const { items } = await core.listNamespacedConfigMap({ namespace: recordsNamespace, labelSelector: noticeLabel });
  return items
    .filter((m) => m.data?.namespace === namespace && (m.data?.correlationId ?? '').startsWith(prefix))
    .sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

/** A sweep filter for the notices a test file asked for, by their correlation ids' prefix. */
export const noticesOf =
  (prefix: string) =>
  (o: KubernetesObject): boolean =>
    o.kind === 'ConfigMap' && ((o as V1ConfigMap).data?.correlationId ?? '').startsWith(prefix);

/** One scheduled run, as the schedule invokes the function (through serverless-offline); its summary or its error. */
export async function scheduledRun(): Promise<{ error?: string; payload: NotifierSummary | { errorMessage: string } }> {
  return invoke<NotifierSummary>('notifier', {});
}

/**
 * The notifier run in this process with the service's own account, as the function runs it, publishing on moto's
 * EventBridge as the function does, through the test's wrapper of that publisher if given, and with a clock of the
 * test's to step time.
 */
export async function notifierRun(options: { publisher?: (real: Publisher) => Publisher; now?: () => number } = {}) {
  const kube = new KubeClient(loadKubeconfig({ file: process.env.MOOP_TEST_SERVICE_KUBECONFIG! }), { timeoutMs: 5000 });
  const client = events();
  try {
    return await runNotifier({
      resources: new Resources(kube),
      publisher: (options.publisher ?? ((p) => p))(eventBridge('default', noticeSource, client)),
      logger: new Logger({ logLevel: 'SILENT' }),
      settings: { pendingSeconds: 300, concurrency: 4 },
      ...(options.now ? { now: options.now } : {}),
    });
  } finally {
    client.destroy();
    await kube.close();
  }
}
