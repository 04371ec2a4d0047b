// `osls package` builds the deployable CloudFormation template with no AWS credentials and no network, cfn-lint
// accepts it, and it grants and limits what the README says.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { httpEvent } from '../../tools/lambda.ts';
import { projectRoot } from '../../tools/offline.ts';

const run = promisify(execFile);
const declaredFunctions = (
  load(readFileSync(join(projectRoot, 'serverless.yml'), 'utf8')) as { functions: Record<string, unknown> }
).functions;
// One folder for everything packaging writes (the package, a HOME without ~/.aws, the temporary directory in which
// serverless-esbuild zips), removed afterwards: nothing is left in /tmp.
const work = mkdtempSync(join(tmpdir(), 'moop-package-'));
const out = join(work, 'package');
for (const sub of ['home', 'tmp']) mkdirSync(join(work, sub));
const workFolder = `.esbuild-package-${process.pid}`;
let template: { Resources: Record<string, { Type: string; Properties: any }> };
let packageEnv: NodeJS.ProcessEnv;

/** The IAM statements of the functions' role in a template. */
const roleStatements = (t: typeof template): any[] =>
  Object.values(t.Resources)
    .find((r) => r.Type === 'AWS::IAM::Role')!
    .Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
/** What a stage without EKS grants: its logs, its secrets, its on-failure queue. */
// The scheduled functions (cleanup, the notifier, the nightly snapshot) send to the on-failure queue: the framework
// writes one statement each.
const plainActions = [
  'events:PutEvents',
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'logs:TagResource',
  'secretsmanager:GetSecretValue',
  'sqs:SendMessage',
  'sqs:SendMessage',
  'sqs:SendMessage',
];

beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(work, 'home'), // no ~/.aws
    TMPDIR: join(work, 'tmp'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Any network use would go to a closed port and fail.
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    ESBUILD_WORK_FOLDER: workFolder,
    // esbuild is a Go program: its heap kept near this, so that packaging fits beside the rest of the suite.
    GOMEMLIMIT: '256MiB',
    SLS_TELEMETRY_DISABLED: '1',
    // Development settings beside the deployed ones, as a developer's shell or .env holds them: never shipped.
    MOOPKEY: 'local-dev-moopkey-change-me',
    NAME_KEY: 'local-dev-name-key-change-me',
    KUBECONFIG: '/home/dev/.kube/config',
    TENANTS_FILE: 'tenants.local.json',
    MOOPKEY_SECRET_ID: 'moop/resource-service/moopkey',
    NAME_KEY_SECRET_ID: 'moop/resource-service/name-key',
    KUBECONFIG_SECRET_ID: 'moop/resource-service/kubeconfig',
    TENANT_SERVICE_URL: 'http://tenant-service:7778/service/v1/tenants',
    NFS_SERVER: 'nfs.example.internal',
    NFS_PREFIX: '/exports/moop/',
  };
  packageEnv = env;
  await run(
    process.execPath,
    [join(projectRoot, 'node_modules/osls/bin/serverless.js'), 'package', '--stage', 'prod', '--package', out],
    {
      cwd: projectRoot,
      env,
    },
  );
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}, 180_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(join(projectRoot, workFolder), { recursive: true, force: true });
});

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** cfn-lint's verdict on the template packaged into dir. W3005: the framework writes a DependsOn that a Ref already
 * implies; harmless, and not ours to change. */
const cfnLint = (dir: string): Promise<{ code: number; output: string }> =>
  run(join(projectRoot, '.local/venv/bin/cfn-lint'), [
    '--ignore-checks',
    'W3005',
    '--',
    join(dir, 'cloudformation-template-update-stack.json'),
  ]).then(
    () => ({ code: 0, output: '' }),
    (err: { code: number; stdout: string }) => ({ code: err.code, output: err.stdout }),
  );

it('passes cfn-lint', async () => {
  expect(await cfnLint(out)).toEqual({ code: 0, output: '' });
});

it('packages every function on its own, as an ESM bundle for nodejs24.x on arm64', () => {
  const functions = ofType('AWS::Lambda::Function');
  // Every function serverless.yml declares, by the logical id osls gives it (its name capitalised, then
  // LambdaFunction).
  const declared = Object.keys(declaredFunctions).map(
    (name) => `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`,
  );
  expect(declared).toContain('CopyCreateLambdaFunction');
  expect(functions.map(([name]) => name).sort()).toEqual(declared.sort());
  for (const [name, fn] of functions) {
    expect([name, fn.Properties.Runtime, fn.Properties.Architectures]).toEqual([name, 'nodejs24.x', ['arm64']]);
    expect(fn.Properties.Handler).toMatch(/\.handler$/);
    const timeouts: Record<string, number> = {
      CleanupLambdaFunction: 300,
      NotifierLambdaFunction: 60,
      NightlyLambdaFunction: 300,
    };
    const expected = [512, timeouts[name] ?? 28];
    expect([name, fn.Properties.MemorySize, fn.Properties.Timeout]).toEqual([name, ...expected]);
  }
  expect(readdirSync(out).filter((f) => f.endsWith('.zip'))).toHaveLength(functions.length);
});

it("lets the functions read only the service's secrets, send only to its on-failure queue and publish only on the notices' bus, besides writing their logs", () => {
  const statements = roleStatements(template);
  expect(statements.flatMap((s: any) => s.Action).sort()).toEqual(plainActions);
  const sends = statements.filter((s: any) => s.Action === 'sqs:SendMessage' || s.Action.includes?.('sqs:SendMessage'));
  expect(sends.map((s: any) => s.Resource)).toEqual([
    { 'Fn::GetAtt': ['CleanupFailuresQueue', 'Arn'] },
    { 'Fn::GetAtt': ['CleanupFailuresQueue', 'Arn'] },
    { 'Fn::GetAtt': ['CleanupFailuresQueue', 'Arn'] },
  ]);
  const publish = statements.find((s: any) => s.Action.includes('events:PutEvents'));
  expect(JSON.stringify(publish.Resource)).toMatch(
    /":events:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":event-bus\/default"/,
  );
  const secrets = statements.find((s: any) => s.Action.includes('secretsmanager:GetSecretValue'));
  expect(JSON.stringify(secrets.Resource)).toContain(':secret:moop/resource-service/*');
  expect(statements.every((s: any) => s.Effect === 'Allow' && !JSON.stringify(s.Resource).includes('"*"'))).toBe(true);
});

it('throttles the API and keeps logs for 30 days', () => {
  const [, stage] = ofType('AWS::ApiGatewayV2::Stage')[0]!;
  expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 });
  const logGroups = ofType('AWS::Logs::LogGroup');
  expect(logGroups.length).toBeGreaterThan(12);
  expect(logGroups.every(([, g]) => g.Properties.RetentionInDays === 30)).toBe(true);
});

it('runs the notifier every minute', () => {
  const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
  expect(
    rules.filter((r) => r.ScheduleExpression === 'rate(1 minute)').map((r) => JSON.stringify(r.Targets[0].Arn)),
  ).toEqual([JSON.stringify({ 'Fn::GetAtt': ['NotifierLambdaFunction', 'Arn'] })]);
});

it('schedules the nightly snapshot at 02:00 UTC, off unless SNAPSHOT_NIGHTLY is true', () => {
  const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
  expect(
    rules
      .filter((r) => r.ScheduleExpression === 'cron(0 2 * * ? *)')
      .map((r) => [JSON.stringify(r.Targets[0].Arn), r.State]),
  ).toEqual([[JSON.stringify({ 'Fn::GetAtt': ['NightlyLambdaFunction', 'Arn'] }), 'DISABLED']]);
});

it('wires cleanup to its schedule and to TenantRemoved events', () => {
  const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
  expect(
    rules.some(
      (r) => r.ScheduleExpression === 'rate(15 minutes)' && JSON.parse(r.Targets[0].Input).action === 'scheduled',
    ),
  ).toBe(true);
  expect(
    rules.some(
      (r) =>
        JSON.stringify(r.EventPattern) ===
        JSON.stringify({ source: ['moop.tenants'], 'detail-type': ['TenantRemoved'] }),
    ),
  ).toBe(true);
});

it('ships no development setting: no plain key, no local kubeconfig or tenants file', () => {
  for (const [name, fn] of ofType('AWS::Lambda::Function')) {
    const variables = fn.Properties.Environment.Variables as Record<string, string>;
    expect([
      name,
      Object.keys(variables).filter((k) => ['MOOPKEY', 'NAME_KEY', 'KUBECONFIG', 'TENANTS_FILE'].includes(k)),
    ]).toEqual([name, []]);
    expect([name, variables.MOOPKEY_SECRET_ID, variables.NAME_KEY_SECRET_ID, variables.KUBECONFIG_SECRET_ID]).toEqual([
      name,
      'moop/resource-service/moopkey',
      'moop/resource-service/name-key',
      'moop/resource-service/kubeconfig',
    ]);
  }
  expect(JSON.stringify(template)).not.toContain('local-dev-moopkey-change-me');
  expect(JSON.stringify(template)).not.toContain('local-dev-name-key-change-me');
});

it.each([
  [
    'a plain MOOPKEY instead of MOOPKEY_SECRET_ID',
    { MOOPKEY_SECRET_ID: '' },
    '- MOOPKEY_SECRET_ID is not set: the MOOP key must come from a Secrets Manager secret, not a plain MOOPKEY',
  ],
  [
    'a plain NAME_KEY instead of NAME_KEY_SECRET_ID',
    { NAME_KEY_SECRET_ID: '' },
    '- NAME_KEY_SECRET_ID is not set: the key of escaped names must come from a Secrets Manager secret, not a plain NAME_KEY',
  ],
  [
    'a local KUBECONFIG instead of KUBECONFIG_SECRET_ID',
    { KUBECONFIG_SECRET_ID: '' },
    '- KUBECONFIG_SECRET_ID is not set: the kubeconfig must come from a Secrets Manager secret',
  ],
  [
    'the local tenants file instead of the tenant service',
    { TENANT_SERVICE_URL: '' },
    '- TENANT_SERVICE_URL is not set: tenants must come from the MOOP tenant service',
  ],
])(
  'refuses to package, for any stage, with %s',
  async (_what, change, message) => {
    const failed = await run(
      process.execPath,
      [
        join(projectRoot, 'node_modules/osls/bin/serverless.js'),
        'package',
        '--stage',
        'dev',
        '--package',
        join(out, 'refused'),
      ],
      {
        cwd: projectRoot,
        env: { ...packageEnv, ...change },
      },
    ).then(
      () => ({ code: 0, output: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({
        code: err.code,
        output: `${err.stdout}${err.stderr}`,
      }),
    );
    expect(failed).toEqual({
      code: 1,
      output: expect.stringContaining('Refusing to package a deployment with development settings:'),
    });
    expect(failed.output).toContain(message);
  },
  60_000,
);

it('retries a failed asynchronous cleanup, notifier or nightly run twice within the hour, then keeps the event 14 days in a queue', () => {
  // In the order of the functions' names: the template's order of these resources is not fixed.
  const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
  configs.sort((a, b) => a.FunctionName.Ref.localeCompare(b.FunctionName.Ref));
  expect(configs).toEqual(
    ['CleanupLambdaFunction', 'NightlyLambdaFunction', 'NotifierLambdaFunction'].map((fn) => ({
      FunctionName: { Ref: fn },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['CleanupFailuresQueue', 'Arn'] } } },
    })),
  );
  expect(template.Resources.CleanupFailuresQueue).toEqual({
    Type: 'AWS::SQS::Queue',
    Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
  });
});

it('alarms, to one topic, on the 5xx rate, on the on-failure queue and on cleanup failures', () => {
  const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([name, r]) => [name, r.Properties]));
  expect(Object.keys(alarms).sort()).toEqual([
    'ApiServerErrorsAlarm',
    'CleanupFailuresAlarm',
    'CleanupFailuresQueueAlarm',
  ]);
  for (const alarm of Object.values(alarms)) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  expect(alarms.ApiServerErrorsAlarm).toMatchObject({
    Namespace: 'AWS/ApiGateway',
    MetricName: '5xx',
    Statistic: 'Average',
    Threshold: 0.05,
  });
  expect(alarms.CleanupFailuresQueueAlarm).toMatchObject({
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Threshold: 0,
  });
  // Reads the metric the cleanup function writes (CloudWatch embedded format), with the function's own errors.
  expect(alarms.CleanupFailuresAlarm.Metrics.map((m: any) => m.MetricStat?.Metric.MetricName ?? m.Expression)).toEqual([
    'Errors',
    'CleanupFailures',
    'FILL(errors, 0) + FILL(failures, 0)',
  ]);
});

describe('an EKS stage inside a VPC (VPC_SUBNET_IDS, VPC_SECURITY_GROUP_IDS, EKS_CLUSTER_NAME)', () => {
  const vpc = {
    VPC_SUBNET_IDS: 'subnet-0a1b2c3d4e5f60718, subnet-0a1b2c3d4e5f60719',
    VPC_SECURITY_GROUP_IDS: 'sg-0a1b2c3d4e5f60718',
  };
  const vpcOut = join(out, 'vpc');
  let vpcTemplate: typeof template;

  beforeAll(async () => {
    // On EKS nothing about the cluster is stored: no kubeconfig secret, only the cluster's name.
    const eks = { ...packageEnv, ...vpc, KUBECONFIG_SECRET_ID: undefined, EKS_CLUSTER_NAME: 'moop-prod' };
    await run(
      process.execPath,
      [join(projectRoot, 'node_modules/osls/bin/serverless.js'), 'package', '--stage', 'campus', '--package', vpcOut],
      {
        cwd: projectRoot,
        env: eks,
      },
    );
    vpcTemplate = JSON.parse(readFileSync(join(vpcOut, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 180_000);

  it('puts every function in the subnets, with the security group, and lets them make their network interfaces', () => {
    const functions = Object.entries(vpcTemplate.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(Object.keys(declaredFunctions).length);
    for (const [name, fn] of functions) {
      expect([name, fn.Properties.VpcConfig]).toEqual([
        name,
        {
          SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60719'],
          SecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        },
      ]);
    }
    const [, role] = Object.entries(vpcTemplate.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role')!;
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AWSLambdaVPCAccessExecutionRole');
  });

  it('lets the functions describe their one EKS cluster, and nothing more than the plain stage otherwise', () => {
    const statements = roleStatements(vpcTemplate);
    expect(statements.flatMap((s: any) => s.Action).sort()).toEqual(['eks:DescribeCluster', ...plainActions]);
    const eks = statements.find((s: any) => s.Action.includes('eks:DescribeCluster'));
    expect(JSON.stringify(eks.Resource)).toMatch(
      /":eks:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":cluster\/moop-prod"/,
    );
    const functions = Object.values(vpcTemplate.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const fn of functions)
      expect(fn.Properties.Environment.Variables).toMatchObject({ EKS_CLUSTER_NAME: 'moop-prod' });
    for (const fn of functions) expect(fn.Properties.Environment.Variables.KUBECONFIG_SECRET_ID ?? '').toBe('');
  });

  it('passes cfn-lint', async () => {
    expect(await cfnLint(vpcOut)).toEqual({ code: 0, output: '' });
  });

  it('leaves the functions of a stage without those settings outside any VPC', () => {
    for (const [, fn] of ofType('AWS::Lambda::Function')) expect(fn.Properties.VpcConfig).toBeUndefined();
  });

  it('refuses subnets without a security group, naming the problem', async () => {
    const failed = await run(
      process.execPath,
      [
        join(projectRoot, 'node_modules/osls/bin/serverless.js'),
        'package',
        '--stage',
        'campus',
        '--package',
        join(out, 'vpc-refused'),
      ],
      {
        cwd: projectRoot,
        env: { ...packageEnv, VPC_SUBNET_IDS: vpc.VPC_SUBNET_IDS },
      },
    ).then(
      () => '',
      (err: { stdout: string; stderr: string }) => `${err.stdout}${err.stderr}`,
    );
    expect(failed).toContain('VPC_SECURITY_GROUP_IDS is empty while VPC_SUBNET_IDS is set: give both, or neither');
  }, 60_000);
});

/**
 * Run in a fresh Node: imports a bundle (and invokes its handler with an event, if given), recording what the bundle
 * imports and, by V8's precise coverage, how often the innermost function around each of the SigV4 signer's constants
 * ran (its module's body, which esbuild wraps in a function called on its first import).
 */
const startProbe = `
import { registerHooks } from 'node:module';
import { Session } from 'node:inspector/promises';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [file, event] = process.argv.slice(1);
const url = pathToFileURL(file).href;
// What the bundle itself imports (the AWS SDK's own imports are not its).
const imported = [];
registerHooks({
  resolve(specifier, context, next) {
    if (context.parentURL === url) imported.push(specifier);
    return next(specifier, context);
  },
});
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
const { handler } = await import(url);
const context = { functionName: 'probe', awsRequestId: 'probe', getRemainingTimeInMillis: () => 28000 };
const status = event ? (await handler(JSON.parse(event), context)).statusCode : undefined;
const { result } = await session.post('Profiler.takePreciseCoverage');
const functions = result.find((s) => s.url === url).functions.map((f) => f.ranges[0]);
const source = readFileSync(file, 'utf8');
const signer = [];
for (let at = source.indexOf('"X-Amz-Algorithm"'); at >= 0; at = source.indexOf('"X-Amz-Algorithm"', at + 1)) {
  const around = functions.filter((r) => r.startOffset <= at && at < r.endOffset);
  around.sort((a, b) => a.endOffset - a.startOffset - (b.endOffset - b.startOffset));
  signer.push(around[0].count);
}
process.stdout.write(JSON.stringify({ imported, signer, status }));
process.exit(0);
`;

describe('the packaged bundles', () => {
  const unzipped = join(projectRoot, workFolder, 'unzipped');
  /** Each function's bundle, unzipped inside the project (its externals, the AWS SDK, resolve from node_modules). */
  let bundles: { name: string; file: string; text: string }[];

  beforeAll(async () => {
    bundles = [];
    for (const zip of readdirSync(out).filter((f) => f.endsWith('.zip'))) {
      const dir = join(unzipped, zip.replace(/\.zip$/, ''));
      await run(join(projectRoot, '.local/venv/bin/python'), ['-m', 'zipfile', '-e', join(out, zip), dir]);
      const [file] = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.mjs'));
      bundles.push({ name: zip, file: join(dir, file!), text: readFileSync(join(dir, file!), 'utf8') });
    }
    expect(bundles).toHaveLength(Object.keys(declaredFunctions).length);
  });

  it("hold zod's English messages and no other locale", () => {
    // esbuild writes non-ASCII text as escapes: read the bundles as the strings they hold.
    const decode = (s: string): string =>
      s.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g, (_, a, b, c) =>
        String.fromCodePoint(Number.parseInt(a ?? b ?? c, 16)),
      );
    const locales = join(projectRoot, 'node_modules/zod/v4/locales');
    const strings = (file: string): string[] =>
      [...readFileSync(join(locales, file), 'utf8').matchAll(/"([^"\\\n]{6,})"/g)].map((m) => m[1]!);
    const english = new Set(strings('en.js'));
    // Each locale's own texts: not English's, not a bare word (`boolean`, `element`: names any code may hold), not a
    // path (an alias, kh or ua, holds nothing else: it re-exports another).
    const own = (s: string): boolean => !english.has(s) && !/^[\w$]+$/.test(s) && !s.startsWith('./');
    const others = readdirSync(locales)
      .filter((f) => f.endsWith('.js') && f !== 'en.js' && f !== 'index.js')
      .map((f) => ({ locale: f, texts: strings(f).filter(own) }))
      .filter((l) => l.texts.length > 0);
    expect(others.length).toBeGreaterThan(40);
    for (const { name, text } of bundles) {
      const held = decode(text);
      expect([name, held.includes('Invalid input: expected')]).toEqual([name, true]);
      const found = others.filter((l) => l.texts.some((s) => held.includes(s))).map((l) => l.locale);
      expect([name, found]).toEqual([name, []]);
    }
  });

  it('hold no @kubernetes/client-node, which is a development dependency only (lib/ and functions/ import its types)', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('@kubernetes/client-node');
    expect(Object.keys(manifest.devDependencies)).toContain('@kubernetes/client-node');
    // Its package name, and the model names its serializer keeps as strings, are in any bundle that holds it.
    for (const { name, text } of bundles)
      expect([name, text.includes('@kubernetes/client-node') || text.includes('"V1ObjectMeta"')]).toEqual([
        name,
        false,
      ]);
  });

  it('neither evaluate the EKS signer nor import the credential provider or the EKS client when a function starts, and answers, without EKS', async () => {
    const dir = mkdtempSync(join(work, 'bundle-'));
    // A plain kubeconfig (a token, no EKS) of an API server that is not there: health answers 503 at once.
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'u', user: { token: 'a-plain-token' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'c',
      }),
    );
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      MOOPKEY: 'package-test-moopkey',
      NAME_KEY: 'package-test-name-key',
      KUBECONFIG: kubeconfig,
      TENANTS_FILE: join(projectRoot, 'tenants.local.json'),
      NFS_SERVER: 'nfs.example.internal',
      NFS_PREFIX: '/exports/moop/',
    };
    const health = JSON.stringify(httpEvent('GET', '/service/v1/health', env.MOOPKEY));
    try {
      for (const { name, file } of bundles) {
        const [event, status] = name === 'health.zip' ? [health, 503] : ['', undefined];
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', startProbe, file, event], { env });
        const seen = JSON.parse(stdout) as { imported: string[]; signer: number[]; status?: number };
        // (The Secrets Manager client loads the credential provider for itself; the bundle's own imports are ours.)
        expect([name, seen.imported.filter((s) => /credential-provider|client-eks/.test(s))]).toEqual([name, []]);
        // Where a bundle holds the signer, the code around each of its constants never ran.
        expect([name, seen.signer.filter((count) => count > 0)]).toEqual([name, []]);
        expect([name, seen.status]).toEqual([name, status]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
