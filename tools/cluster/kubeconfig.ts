// Writes kubeconfig files; JSON is valid YAML, so no YAML library is needed.
import { readFileSync, writeFileSync } from 'node:fs';

type Credentials = { certFile: string; keyFile: string } | { token: string };

/** What a one-context kubeconfig says. */
export interface KubeconfigOf {
  server: string;
  /** The CA that verifies the server; none for a plain-HTTP server. */
  caFile?: string;
  user: string;
  /** A client certificate or a bearer token; none for a server that asks for neither. */
  credentials?: Credentials;
}

/** Writes a one-context kubeconfig, with the CA and the client certificate embedded. */
export function writeKubeconfig(path: string, { server, caFile, user, credentials }: KubeconfigOf): void {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const userEntry = !credentials
    ? {}
    : 'token' in credentials
      ? { token: credentials.token }
      : { 'client-certificate-data': b64(credentials.certFile), 'client-key-data': b64(credentials.keyFile) };
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'moop-local', cluster: { server, ...(caFile ? { 'certificate-authority-data': b64(caFile) } : {}) } },
    ],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: `${user}@moop-local`, context: { cluster: 'moop-local', user } }],
    'current-context': `${user}@moop-local`,
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
