// A serverless plugin that keeps development settings out of what `osls package` and `osls deploy` build, whatever the
// stage: the keys must come from MOOPKEY_SECRET_ID and NAME_KEY_SECRET_ID (never plain, from the environment or .env),
// the kubeconfig from KUBECONFIG_SECRET_ID (or, on EKS, nothing stored: EKS_CLUSTER_NAME), tenants from
// TENANT_SERVICE_URL; local paths and the plain key are dropped from the functions' environment. serverless-offline
// (npm start, npm test) is untouched. CommonJS: osls require()s it.
'use strict';

/** Settings a deployment must have, and why. */
const required = [
  [
    'MOOPKEY_SECRET_ID',
    "the MOOP key must come from a Secrets Manager secret, not a plain MOOPKEY (from the environment or .env), which would sit in clear in the functions' configuration",
  ],
  [
    'KUBECONFIG_SECRET_ID',
    'the kubeconfig must come from a Secrets Manager secret (or, on EKS, set EKS_CLUSTER_NAME instead); a local KUBECONFIG path does not exist in Lambda',
    'EKS_CLUSTER_NAME',
  ],
  ['TENANT_SERVICE_URL', 'tenants must come from the MOOP tenant service; the local TENANTS_FILE is for development'],
  [
    'NAME_KEY_SECRET_ID',
    "the key of escaped names must come from a Secrets Manager secret, not a plain NAME_KEY, which would sit in clear in the functions' configuration",
  ],
];

/** Settings that only make sense on a developer's machine: never shipped. */
const local = ['MOOPKEY', 'NAME_KEY', 'KUBECONFIG', 'TENANTS_FILE'];

class DeployGuard {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:function:initialize': check,
    };
  }

  check() {
    const environment = this.serverless.service.provider.environment ?? {};
    const missing = required.filter(([name, , instead]) => !environment[name] && !(instead && environment[instead]));
    if (missing.length > 0) {
      const lines = missing.map(([name, why]) => `- ${name} is not set: ${why}`);
      throw new this.serverless.classes.Error(
        `Refusing to package a deployment with development settings:\n${lines.join('\n')}\nSee README, "Deploying".`,
      );
    }
    for (const name of local) delete environment[name];
  }
}

module.exports = DeployGuard;
