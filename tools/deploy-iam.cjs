// serverless.yml's IAM statements for the functions' role: read the service's own secrets, publish completion notices
// on NOTICE_BUS only, and, when the settings
// name an EKS cluster (EKS_CLUSTER_NAME), describe that one cluster. Its tokens need no permission: any role may sign
// GetCallerIdentity, and the cluster's access entry decides what the role may do. CommonJS: osls require()s it.
'use strict';

const arn = (service, resource) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});

module.exports.statements = () => {
  const prefix = process.env.SECRETS_PREFIX || 'moop/resource-service/';
  const statements = [
    {
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [arn('secretsmanager', `secret:${prefix}*`)],
    },
  ];
  // Completion notices: PutEvents on the one bus NOTICE_BUS names (an ARN, or a bus of this account by name).
  const bus = process.env.NOTICE_BUS || 'default';
  statements.push({
    Effect: 'Allow',
    Action: ['events:PutEvents'],
    Resource: [bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus}`)],
  });
  const cluster = process.env.EKS_CLUSTER_NAME;
  if (cluster)
    statements.push({ Effect: 'Allow', Action: ['eks:DescribeCluster'], Resource: [arn('eks', `cluster/${cluster}`)] });
  return statements;
};
