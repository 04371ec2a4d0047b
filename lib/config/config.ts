// The service's configuration: parsed once from the environment by one zod schema, failing fast with every problem
// named.
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { fieldProblems } from '../validation.ts';

const milliseconds = (fallback: number, what: string) =>
  z.coerce.number().int().min(1).max(60_000).default(fallback).describe(what);

const toleration = {
  pattern: /^[A-Za-z0-9][-A-Za-z0-9_./]*=[-A-Za-z0-9_.]*:(NoSchedule|PreferNoSchedule|NoExecute)$/,
  message: 'each entry must be key=value:Effect, Effect one of NoSchedule, PreferNoSchedule, NoExecute',
};

/** A comma-separated list (empty entries dropped), each entry matching rule's pattern if given. */
function entries(rule?: { pattern: RegExp; message: string }) {
  return z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    )
    .refine((l) => !rule || l.every((e) => rule.pattern.test(e)), rule?.message);
}

export const ConfigFields = z.object({
  MOOPKEY: z
    .string()
    .min(12, 'MOOPKEY must be at least 12 characters long')
    .optional()
    .describe('Shared key every request must send in the moopkey header; or MOOPKEY_SECRET_ID'),
  MOOPKEY_SECRET_ID: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Secrets Manager secret holding the key, or a JSON object of named callers' keys (deployed); its AWSPREVIOUS version keeps working during a rotation; wins over MOOPKEY",
    ),
  KUBECONFIG_SECRET_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Secrets Manager secret holding the kubeconfig (deployed); wins over KUBECONFIG'),
  SECRETS_REFRESH_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .describe('How long a secret is kept before it is fetched again, in seconds'),
  TENANT_SERVICE_URL: z
    .url({ protocol: /^https?$/, error: 'TENANT_SERVICE_URL must be an http(s) URL of the tenants collection' })
    .optional()
    .describe(
      'MOOP tenant service, the tenants collection: http://<node>:31778/tenants or http://<gateway>:32280/services/v1/tenant/tenants; unset: TENANTS_FILE is used',
    ),
  TENANT_SERVICE_CA: z
    .string()
    .optional()
    .describe(
      "PEM of the private CA that signed an https TENANT_SERVICE_URL's certificate, or the path of a PEM file; trusted beside the public roots",
    ),
  TENANT_SERVICE_CA_SECRET_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Secrets Manager secret holding that PEM (deployed); wins over TENANT_SERVICE_CA'),
  TENANTS_FILE: z
    .string()
    .min(1)
    .default('tenants.local.json')
    .describe('Local tenants file, used when TENANT_SERVICE_URL is unset'),
  NFS_SERVER: z
    .string({ error: 'NFS_SERVER is required: the NFS server of the volumes' })
    .min(1)
    .describe('NFS server the PersistentVolumes point at'),
  NFS_PREFIX: z
    .string({ error: 'NFS_PREFIX is required: the NFS export path every volume lives under' })
    .regex(/^\//, 'NFS_PREFIX must be an absolute path such as /exports/moop/')
    .describe('NFS path prefix; a volume path is always inside it'),
  NFS_TENANT_SCOPE: z
    .enum(['true', 'false'], { error: 'NFS_TENANT_SCOPE must be true or false' })
    .default('true')
    .transform((v) => v === 'true')
    .describe("Whether a volume's path must be its tenant's namespace or below it (false: anywhere under NFS_PREFIX)"),
  NAME_KEY: z
    .string()
    .min(16, 'NAME_KEY must be at least 16 characters long')
    .optional()
    .describe(
      "Secret key of the hash that ends an escaped name, so that nobody can choose a name equal to another user's; never change it; or NAME_KEY_SECRET_ID",
    ),
  NAME_KEY_SECRET_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Secrets Manager secret holding NAME_KEY (deployed); wins over NAME_KEY'),
  CLAIM_STORAGE_CLASSES: entries()
    .prefault('standard')
    .describe(
      'Storage classes a claim may ask for by name (comma-separated); a claim without one selects its own volume',
    ),
  COPY_IMAGES: entries()
    .prefault('registry.mooplab.com:8443/,docker.io/library/busybox')
    .describe(
      'Images a copy may run (comma-separated): a prefix ending in "/" (a registry or a folder of one), or one repository',
    ),
  COPY_TOLERATIONS: entries(toleration)
    .optional()
    .describe('Taints a copy may tolerate (comma-separated key=value:Effect); unset: none'),
  COPY_PRIORITY_CLASSES: entries()
    .optional()
    .describe('Priority classes a copy may name (comma-separated); unset: none'),
  KUBECONFIG: z
    .string()
    .min(1)
    .optional()
    .describe('Kubeconfig file of the cluster; unset: in-cluster service account'),
  EKS_CLUSTER_NAME: z
    .string()
    .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, 'EKS_CLUSTER_NAME must be an EKS cluster name')
    .optional()
    .describe(
      'EKS cluster the functions manage, reached with tokens minted from their own IAM role (no kubeconfig, no stored token); wins over KUBECONFIG_SECRET_ID',
    ),
  KUBE_TIMEOUT_MS: milliseconds(8000, 'Time limit of one Kubernetes API call, in milliseconds'),
  TENANT_TIMEOUT_MS: milliseconds(3000, 'Time limit of one tenant service call, in milliseconds'),
  TENANT_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3_600_000)
    .default(30_000)
    .describe('How long a tenant looked up is served from memory, in milliseconds; 0 turns caching off'),
  JOB_ACTIVE_DEADLINE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(3600)
    .describe("A copy Pod's or Job's time limit, where the template sets none, in seconds"),
  JOB_MAX_ACTIVE_DEADLINE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(86_400)
    .describe(
      "The longest a copy may run, in seconds: a template asking for more is refused (the cluster's policy holds the same)",
    ),
  JOB_BACKOFF_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(6)
    .default(2)
    .describe("A Job's retries, where the template sets none (at most 6)"),
  JOB_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(3600)
    .describe('How long a finished copy Pod or Job is kept so its result can be read, in seconds'),
  CLEANUP_PV_POLICY: z
    .enum(['recycle', 'delete', 'keep'], { error: 'CLEANUP_PV_POLICY must be recycle, delete or keep' })
    .default('recycle')
    .describe(
      "What cleanup does with the service's Released volumes: recycle (rebind for the same user), delete, keep",
    ),
  CLEANUP_ORPHANS: z
    .enum(['report', 'delete'], { error: 'CLEANUP_ORPHANS must be report or delete' })
    .default('report')
    .describe(
      "What scheduled cleanup does with the service's objects of tenants the tenant service no longer knows: report them, or delete them",
    ),
  CLEANUP_PAGE_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(500)
    .describe('Objects cleanup lists per API call'),
  CLEANUP_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16).describe('Changes cleanup makes at once'),
  NOTICE_BUS: z
    .string()
    .regex(
      /^([A-Za-z0-9._\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[A-Za-z0-9._\-/]{1,256})$/,
      'NOTICE_BUS must be an EventBridge bus name or ARN',
    )
    .default('default')
    .describe("The EventBridge bus completion notices are published on (a name or an ARN); default: the account's"),
  NOTICE_PENDING_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(300)
    .describe('A claim asked to be told of that is still Pending after this many seconds is told ClaimStillPending'),
  SNAPSHOT_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .default(180)
    .describe(
      'Snapshots older than this many days are removed by scheduled cleanup, their archives with them; 0 keeps them',
    ),
  SNAPSHOT_NIGHTLY: z
    .enum(['true', 'false'], { error: 'SNAPSHOT_NIGHTLY must be true or false' })
    .default('false')
    .transform((v) => v === 'true')
    .describe("Each night, a snapshot of every student's claim that a pod used that day (the nightly function)"),
});

export const ConfigSchema = ConfigFields.refine((c) => c.MOOPKEY !== undefined || c.MOOPKEY_SECRET_ID !== undefined, {
  path: ['MOOPKEY'],
  message: 'MOOPKEY is required: the shared key MOOP sends in the moopkey header (or MOOPKEY_SECRET_ID, deployed)',
  // Checked even when other settings are wrong, so that one run names every problem.
  when: () => true,
})
  .refine((c) => c.NAME_KEY !== undefined || c.NAME_KEY_SECRET_ID !== undefined, {
    path: ['NAME_KEY'],
    message:
      'NAME_KEY is required: the secret key of escaped names, at least 16 characters, never changed (or NAME_KEY_SECRET_ID, deployed)',
    when: () => true,
  })
  .refine((c) => c.JOB_ACTIVE_DEADLINE_SECONDS <= c.JOB_MAX_ACTIVE_DEADLINE_SECONDS, {
    path: ['JOB_ACTIVE_DEADLINE_SECONDS'],
    message: 'JOB_ACTIVE_DEADLINE_SECONDS must not exceed JOB_MAX_ACTIVE_DEADLINE_SECONDS',
  });

export type Config = z.infer<typeof ConfigSchema>;

/** Settings read outside the functions: by `npm start`, and by serverless.yml when it packages or deploys. */
export const ToolSettingsSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000).describe('Port of the local API (npm start)'),
  LAMBDA_PORT: z.coerce
    .number()
    .int()
    .min(1)
    .max(65_535)
    .optional()
    .describe("Port of serverless-offline's Lambda invoke endpoint; unset: PORT + 2"),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO').describe('Level of the JSON logs'),
  CLEANUP_SCHEDULE: z
    .string()
    .regex(/^(rate|cron)\(.+\)$/, 'CLEANUP_SCHEDULE must be rate(...) or cron(...)')
    .default('rate(15 minutes)')
    .describe('When cleanup runs (EventBridge expression)'),
  CLEANUP_SCHEDULE_ENABLED: z
    .enum(['true', 'false'], { error: 'CLEANUP_SCHEDULE_ENABLED must be true or false' })
    .default('true')
    .describe('Whether the schedule runs cleanup (npm test and npm run bench turn it off and run cleanup themselves)'),
  NOTICE_SCHEDULE: z
    .string()
    .regex(/^(rate|cron)\(.+\)$/, 'NOTICE_SCHEDULE must be rate(...) or cron(...)')
    .default('rate(1 minute)')
    .describe('When the notifier runs (EventBridge expression)'),
  NOTICE_SCHEDULE_ENABLED: z
    .enum(['true', 'false'], { error: 'NOTICE_SCHEDULE_ENABLED must be true or false' })
    .default('true')
    .describe('Whether the schedule runs the notifier (npm test and npm run bench turn it off and run it themselves)'),
  NIGHTLY_SCHEDULE: z
    .string()
    .regex(/^(rate|cron)\(.+\)$/, 'NIGHTLY_SCHEDULE must be rate(...) or cron(...)')
    .default('cron(0 2 * * ? *)')
    .describe('When the nightly snapshot runs, if SNAPSHOT_NIGHTLY (EventBridge expression)'),
  SECRETS_PREFIX: z
    .string()
    .min(1)
    .default('moop/resource-service/')
    .describe('Name prefix of the secrets the functions may read (IAM)'),
  VPC_SUBNET_IDS: z
    .string()
    .optional()
    .describe(
      'Subnets (comma-separated) every function runs in, with VPC_SECURITY_GROUP_IDS; unset: outside any VPC (tools/deploy-vpc.cjs)',
    ),
  VPC_SECURITY_GROUP_IDS: z
    .string()
    .optional()
    .describe("Security groups (comma-separated) of the functions' network interfaces, with VPC_SUBNET_IDS"),
  API_THROTTLE_BURST: z.coerce.number().int().min(1).default(200).describe('API Gateway burst limit, requests'),
  API_THROTTLE_RATE: z.coerce
    .number()
    .int()
    .min(1)
    .default(100)
    .describe('API Gateway steady rate limit, requests per second'),
});

export type ToolSettings = z.infer<typeof ToolSettingsSchema>;

/** Parses the tool settings from env, naming every problem. */
export function loadToolSettings(env: Record<string, string | undefined> = process.env): ToolSettings {
  return parseOrExplain(ToolSettingsSchema, env);
}

/** Parses env into a Config, or throws a ConfigError that lists every missing or invalid setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseOrExplain(ConfigSchema, env);
}

function parseOrExplain<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  // Empty strings mean "not set", as in a .env line `TENANT_SERVICE_URL=`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = fieldProblems(parsed.error, 'config').map((p) => `- ${p.field}: ${p.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}
