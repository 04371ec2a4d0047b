// Writes kubeconfig files; JSON is valid YAML, so no YAML library is needed.
import { readFileSync, writeFileSync } from 'node:fs';

type Credentials = { certFile: string; keyFile: string } | { token: string };

/** Writes a one-context kubeconfig for server, trusting caFile, with either a client certificate or a bearer token. */
export function writeKubeconfig(path: string, server: string, caFile: string, user: string, credentials: Credentials): void {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const userEntry =
    'token' in credentials
      ? { token: credentials.token }
      : { 'client-certificate-data': b64(credentials.certFile), 'client-key-data': b64(credentials.keyFile) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'moop-local', cluster: { server, 'certificate-authority-data': b64(caFile) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: `${user}@moop-local`, context: { cluster: 'moop-local', user } }],
    'current-context': `${user}@moop-local`,
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
