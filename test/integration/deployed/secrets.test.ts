// The deployed path without AWS: the MOOP key and the kubeconfig come from a real Secrets Manager API (moto in
// server mode, on loopback), read by the handlers through Powertools Parameters and the AWS SDK, and the
// handlers talk to the local cluster with the kubeconfig they read.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { jest } from '@jest/globals';
import { createHandler as health } from '../../../functions/health/get.ts';
import { createHandler as deleteClaim } from '../../../functions/volumes/pvcs/delete.ts';
import { createHandler as createClaim } from '../../../functions/volumes/pvcs/post.ts';
import { type Deps, depsFrom } from '../../../lib/app/deps.ts';
import { secretsManager } from '../../../lib/aws/secrets.ts';
import { loadConfig } from '../../../lib/config/config.ts';
import { objectName } from '../../../lib/kube/names.ts';
import { freePort, probe } from '../../../tools/cluster/processes.ts';
import { httpEvent, invokeHttp } from '../../../tools/lambda.ts';
import { projectRoot } from '../../../tools/offline.ts';
import { tenants } from '../../fixtures/tenants.ts';
import type { ClaimAnswer, ErrorAnswer } from '../../support/answers.ts';
import { until } from '../../support/cluster.ts';

let moto: ChildProcess;
let endpoint: string;
let admin: SecretsManagerClient;
const reads: string[] = [];
const logged: string[] = [];
const firstKey = 'first-rotating-key-0001';
const secondKey = 'second-rotating-key-0002';
const nameKey = 'a-name-key-kept-in-secrets-manager';
const kubeconfig = (): string => readFileSync(process.env.MOOP_TEST_SERVICE_KUBECONFIG!, 'utf8');

beforeAll(async () => {
  const port = await freePort();
  moto = spawn(join(projectRoot, '.local/venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  endpoint = `http://127.0.0.1:${port}`;
  await until('moto to answer', async () => (await probe(`${endpoint}/moto-api/`)) !== undefined, 20_000);
  admin = client();
  await admin.send(new CreateSecretCommand({ Name: 'moop/moopkey', SecretString: firstKey }));
  await admin.send(new CreateSecretCommand({ Name: 'moop/kubeconfig', SecretString: kubeconfig() }));
  await admin.send(new CreateSecretCommand({ Name: 'moop/name-key', SecretString: nameKey }));
  await admin.send(
    new CreateSecretCommand({ Name: 'moop/broken-kubeconfig', SecretString: 'clusters: [this is not: a kubeconfig' }),
  );
});

afterAll(() => {
  moto.kill();
});

function client(countReads = false): SecretsManagerClient {
  const c = new SecretsManagerClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  if (countReads) {
    c.middlewareStack.add((next) => async (args) => {
      reads.push(String((args.input as { SecretId?: string }).SecretId));
      return next(args);
    });
  }
  return c;
}

function deployedDeps(kubeconfigSecret = 'moop/kubeconfig', keySecret = 'moop/moopkey'): Deps {
  const config = loadConfig({
    MOOPKEY_SECRET_ID: keySecret,
    NAME_KEY_SECRET_ID: 'moop/name-key',
    KUBECONFIG_SECRET_ID: kubeconfigSecret,
    SECRETS_REFRESH_SECONDS: '1',
    NFS_SERVER: '10.0.0.2',
    NFS_PREFIX: '/exports/moop/',
    TENANTS_FILE: join(projectRoot, 'tenants.local.json'),
  });
  return depsFrom(
    () => config,
    () => secretsManager(config.SECRETS_REFRESH_SECONDS, client(true)),
  );
}

const event = httpEvent;
const answer = invokeHttp;
/** How long a secret's new value may take to be read: a few of the refresh intervals (SECRETS_REFRESH_SECONDS, 1 s). */
const refreshLimitMs = 3000;

describe('secrets from Secrets Manager', () => {
  const capture = (chunk: unknown): boolean => {
    logged.push(String(chunk));
    return true;
  };
  beforeEach(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => jest.restoreAllMocks());

  it('authenticates with the key and reaches the cluster with the kubeconfig read from their secrets, reading each once', async () => {
    const deps = deployedDeps();
    const handler = health(deps);

    for (let i = 0; i < 5; i++)
      expect(await answer(handler, event('GET', '/service/v1/health', firstKey))).toEqual({
        status: 200,
        body: { status: 'ok' },
      });
    expect(await answer(handler, event('GET', '/service/v1/health', 'not-the-right-key'))).toMatchObject({
      status: 401,
    });

    const body = { tenant: tenants.demo.id, username: 'secrets-test' };
    const created = await answer<ClaimAnswer>(
      createClaim(deps),
      event('POST', '/service/v1/volumes/pvcs', firstKey, { body }),
    );
    expect(created.status).toBe(201);
    expect(created.body.metadata.namespace).toBe('demo-university');
    expect(
      await answer(deleteClaim(deps), event('DELETE', '/service/v1/volumes/pvcs', firstKey, { query: body })),
    ).toEqual({
      status: 200,
      body: { deleted: created.body.metadata.name },
    });
    // A name that is escaped ends in the hash keyed with the names' key of its secret.
    const escaped = { tenant: tenants.demo.id, username: 'Secrets Test' };
    const rendered = `pvc-${tenants.demo.id}-Secrets Test-default`;
    const made = await answer<ClaimAnswer>(
      createClaim(deps),
      event('POST', '/service/v1/volumes/pvcs', firstKey, { body: escaped }),
    );
    expect([made.status, made.body.metadata.name]).toEqual([
      201,
      objectName(rendered, [tenants.demo.id, 'Secrets Test', 'default'], 'subdomain', nameKey),
    ]);
    expect(
      (await answer(deleteClaim(deps), event('DELETE', '/service/v1/volumes/pvcs', firstKey, { query: escaped })))
        .status,
    ).toBe(200);
    expect(reads.filter((r) => r === 'moop/moopkey').length).toBeLessThanOrEqual(2);
    expect(reads.filter((r) => r === 'moop/kubeconfig').length).toBeLessThanOrEqual(2);
  });

  it('accepts the new key once the refresh interval has passed, and the previous one until the rotation is finished', async () => {
    const handler = health(deployedDeps());
    expect((await answer(handler, event('GET', '/service/v1/health', firstKey))).status).toBe(200);

    // What a rotation's last step does: the new version becomes AWSCURRENT, the old one AWSPREVIOUS.
    await admin.send(new PutSecretValueCommand({ SecretId: 'moop/moopkey', SecretString: secondKey }));
    await until(
      'the new key to be read',
      async () => (await answer(handler, event('GET', '/service/v1/health', secondKey))).status === 200,
      refreshLimitMs,
    );

    expect((await answer(handler, event('GET', '/service/v1/health', secondKey))).status).toBe(200);
    expect((await answer(handler, event('GET', '/service/v1/health', firstKey))).status).toBe(200);
    expect(logged.join('')).toContain('"caller":"moop","callerKey":"previous"');

    // The operator finishes the rotation once every caller has the new key: the old version loses its label.
    const previous = await admin.send(
      new GetSecretValueCommand({ SecretId: 'moop/moopkey', VersionStage: 'AWSPREVIOUS' }),
    );
    await admin.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'moop/moopkey',
        VersionStage: 'AWSPREVIOUS',
        RemoveFromVersionId: previous.VersionId,
      }),
    );
    await until(
      'the old key to be dropped',
      async () => (await answer(handler, event('GET', '/service/v1/health', firstKey))).status === 401,
      refreshLimitMs,
    );

    expect((await answer(handler, event('GET', '/service/v1/health', firstKey))).status).toBe(401);
    expect((await answer(handler, event('GET', '/service/v1/health', secondKey))).status).toBe(200);
  });

  it('gives each caller its own named key, and every log line of a request names the caller, never the key', async () => {
    const keys = { moop: 'moop-api-server-key-0003', grader: 'grading-service-key-0004' };
    await admin.send(new CreateSecretCommand({ Name: 'moop/named-keys', SecretString: JSON.stringify(keys) }));
    const deps = deployedDeps('moop/kubeconfig', 'moop/named-keys');
    const before = logged.length;

    expect((await answer(health(deps), event('GET', '/service/v1/health', keys.grader))).status).toBe(200);
    const body = { tenant: tenants.demo.id, username: 'secrets-named' };
    expect(
      (await answer(createClaim(deps), event('POST', '/service/v1/volumes/pvcs', keys.moop, { body }))).status,
    ).toBe(201);
    expect(
      (await answer(deleteClaim(deps), event('DELETE', '/service/v1/volumes/pvcs', keys.moop, { query: body }))).status,
    ).toBe(200);
    expect((await answer(health(deps), event('GET', '/service/v1/health', firstKey))).status).toBe(401);

    const lines = logged
      .slice(before)
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.message === 'request finished').map((l) => [l.caller, l.statusCode])).toEqual([
      ['grader', 200],
      ['moop', 201],
      ['moop', 200],
      ['unauthenticated', 401],
    ]);
    expect(lines.filter((l) => l.requestId !== undefined && l.caller === undefined)).toEqual([]);
    expect(logged.join('')).not.toContain(keys.moop);
    expect(logged.join('')).not.toContain(keys.grader);
  });

  it('picks up a rotated kubeconfig: broken, then fixed', async () => {
    await admin.send(new PutSecretValueCommand({ SecretId: 'moop/kubeconfig', SecretString: 'not: [a kubeconfig' }));
    const handler = health(deployedDeps());
    expect(await answer(handler, event('GET', '/service/v1/health', secondKey))).toEqual({
      status: 503,
      body: {
        error: 'The service is misconfigured; an operator must fix its settings.',
        code: 'SERVICE_MISCONFIGURED',
      },
    });

    await admin.send(new PutSecretValueCommand({ SecretId: 'moop/kubeconfig', SecretString: kubeconfig() }));
    await until(
      'the fixed kubeconfig to be read',
      async () => (await answer(handler, event('GET', '/service/v1/health', secondKey))).status === 200,
      refreshLimitMs,
    );

    expect(await answer(handler, event('GET', '/service/v1/health', secondKey))).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
  });

  it('answers 503 saying which secret is missing, and does not crash', async () => {
    const handler = health(deployedDeps('moop/no-such-secret'));

    expect(await answer(handler, event('GET', '/service/v1/health', secondKey))).toEqual({
      status: 503,
      body: {
        error: 'Secret moop/no-such-secret cannot be read from Secrets Manager (ResourceNotFoundException).',
        code: 'SECRET_UNAVAILABLE',
      },
    });
  });

  it('answers 503 for a kubeconfig secret that is not a kubeconfig', async () => {
    const handler = health(deployedDeps('moop/broken-kubeconfig'));

    expect((await answer<ErrorAnswer>(handler, event('GET', '/service/v1/health', secondKey))).body.code).toBe(
      'SERVICE_MISCONFIGURED',
    );
  });

  it('never logs the key or the kubeconfig', () => {
    const all = logged.join('');
    expect(all).toContain('request finished');
    expect(all).not.toContain(firstKey);
    expect(all).not.toContain(secondKey);
    const token = (JSON.parse(kubeconfig()) as { users: { user: { token: string } }[] }).users[0]!.user.token;
    expect(all).not.toContain(token);
    expect(all).not.toContain('certificate-authority-data');
  });
});
