// Secrets from AWS Secrets Manager, through Powertools Parameters: fetched on first use, kept for maxAge seconds per
// container, then fetched again so that a rotated secret is picked up. Values are never logged.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UnavailableError } from '../errors.ts';

/** Reads a secret's string values. */
export interface SecretReader {
  /** The current value (AWSCURRENT). */
  get(id: string): Promise<string>;
  /** The value before the last rotation (AWSPREVIOUS), or undefined when there is none or it cannot be read. */
  previous(id: string): Promise<string | undefined>;
}

const reasonOf = (err: unknown): string | undefined =>
  (err as { cause?: { name?: string } }).cause?.name ?? (err as Error).name;

/** A SecretReader over Secrets Manager; the SDK finds region, credentials and endpoint in the environment. */
export function secretsManager(maxAgeSeconds: number, client?: SecretsManagerClient): SecretReader {
  const options = client ? { awsSdkV3Client: client } : {};
  // One provider per version stage: Powertools caches by name alone, whatever the stage asked for.
  const current = new SecretsProvider(options);
  const before = new SecretsProvider(options);
  const noPrevious = new Map<string, number>();
  return {
    async get(id) {
      let value: unknown;
      try {
        value = await current.get(id, { maxAge: maxAgeSeconds });
      } catch (err) {
        throw new UnavailableError(`Secret ${id} cannot be read from Secrets Manager (${reasonOf(err)}).`, {
          code: 'SECRET_UNAVAILABLE',
          cause: err,
        });
      }
      if (typeof value !== 'string' || value.trim() === '') {
        throw new UnavailableError(`Secret ${id} holds no text value.`, { code: 'SECRET_UNAVAILABLE' });
      }
      return value;
    },
    async previous(id) {
      if ((noPrevious.get(id) ?? 0) > Date.now()) return undefined;
      try {
        const value = await before.get(id, { maxAge: maxAgeSeconds, sdkOptions: { VersionStage: 'AWSPREVIOUS' } });
        return typeof value === 'string' && value.trim() !== '' ? value : undefined;
      } catch {
        // Never rotated, or the rotation finished and the label was removed: only the current key counts. Remembered
        // as long as a value would be, so that a secret without a previous version costs no call per request.
        noPrevious.set(id, Date.now() + maxAgeSeconds * 1000);
        return undefined;
      }
    },
  };
}
