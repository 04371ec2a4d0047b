// Secrets from AWS Secrets Manager, through Powertools Parameters: fetched on first use, kept for maxAge seconds per
// container, then fetched again so that a rotated secret is picked up. Values are never logged.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { UnavailableError } from './errors.ts';

/** Reads a secret's current string value. */
export interface SecretReader {
  get(id: string): Promise<string>;
}

/** A SecretReader over Secrets Manager; the SDK finds region, credentials and endpoint in the environment. */
export function secretsManager(maxAgeSeconds: number, client?: SecretsManagerClient): SecretReader {
  const provider = new SecretsProvider(client ? { awsSdkV3Client: client } : {});
  return {
    async get(id) {
      let value: unknown;
      try {
        value = await provider.get(id, { maxAge: maxAgeSeconds });
      } catch (err) {
        const reason = (err as { cause?: { name?: string } }).cause?.name ?? (err as Error).name;
        throw new UnavailableError(`Secret ${id} cannot be read from Secrets Manager (${reason}).`, { code: 'SECRET_UNAVAILABLE', cause: err });
      }
      if (typeof value !== 'string' || value.trim() === '') {
        throw new UnavailableError(`Secret ${id} holds no text value.`, { code: 'SECRET_UNAVAILABLE' });
      }
      return value;
    },
  };
}
