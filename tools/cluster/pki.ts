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
  openssl([
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    pki.caKey,
    '-out',
    pki.caCert,
    '-days',
    '7',
    '-subj',
    '/CN=moop-local-cluster-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    pki.serverKey,
    '-out',
    pki.serverCert,
    '-days',
    '7',
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-subj',
    '/CN=kube-apiserver',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  ]);
  // system:masters is the admin group that RBAC's bootstrap policy trusts; the control-plane components use it too.
  openssl([
    'req',
    '-x509',
    ...keyArgs,
    '-keyout',
    pki.adminKey,
    '-out',
    pki.adminCert,
    '-days',
    '7',
    '-CA',
    pki.caCert,
    '-CAkey',
    pki.caKey,
    '-subj',
    '/O=system:masters/CN=moop-local-admin',
    '-addext',
    'extendedKeyUsage=clientAuth',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  ]);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(pki.serviceAccountKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pki.serviceAccountPub, publicKey.export({ type: 'spki', format: 'pem' }));
  return pki;
}
