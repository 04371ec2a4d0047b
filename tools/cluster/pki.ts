// The local cluster's own certificate authority, serving certificate, client certificates and service-account keys.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File paths of everything the control plane's TLS and tokens need. */
export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

// openssl is part of every Debian and macOS base system; Node's crypto cannot issue X.509 certificates.
function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed (is openssl 3 installed?): ${stderr || String(err)}`);
  }
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A private key and its certificate, as files. */
export interface KeyPair {
  key: string;
  cert: string;
}

/**
 * Issues a fresh key and a certificate for subject, valid for a week: signed by ca, or self-signed (a CA) without one.
 */
export function issueCertificate(out: KeyPair, subject: string, extensions: string[], ca?: KeyPair): void {
  openssl([
    ...['req', '-x509', ...keyArgs, '-keyout', out.key, '-out', out.cert, '-days', '7'],
    ...(ca ? ['-CA', ca.cert, '-CAkey', ca.key] : []),
    ...['-subj', subject, ...extensions.flatMap((e) => ['-addext', e])],
  ]);
}

/** Issues a fresh CA and the certificates signed by it into dir, valid for a week. */
export function createPki(dir: string): Pki {
  const f = (name: string): string => join(dir, name);
  const pki: Pki = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
  const ca = { key: pki.caKey, cert: pki.caCert };
  issueCertificate(ca, '/CN=moop-local-cluster-ca', [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const server = { key: pki.serverKey, cert: pki.serverCert };
  issueCertificate(
    server,
    '/CN=kube-apiserver',
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      'extendedKeyUsage=serverAuth',
      'basicConstraints=critical,CA:FALSE',
    ],
    ca,
  );
  // system:masters is the admin group that RBAC's bootstrap policy trusts; the control-plane components use it too.
  const admin = { key: pki.adminKey, cert: pki.adminCert };
  issueCertificate(
    admin,
    '/O=system:masters/CN=moop-local-admin',
    ['extendedKeyUsage=clientAuth', 'basicConstraints=critical,CA:FALSE'],
    ca,
  );
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(pki.serviceAccountKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pki.serviceAccountPub, publicKey.export({ type: 'spki', format: 'pem' }));
  return pki;
}
