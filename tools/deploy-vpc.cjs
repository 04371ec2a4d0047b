// serverless.yml's provider.vpc, from VPC_SUBNET_IDS and VPC_SECURITY_GROUP_IDS (comma-separated): every function in
// those subnets, or, with neither set, outside any VPC. CommonJS: osls require()s it for ${file(...)}.
'use strict';

const list = (value) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

module.exports.vpc = () => {
  const subnetIds = list(process.env.VPC_SUBNET_IDS);
  const securityGroupIds = list(process.env.VPC_SECURITY_GROUP_IDS);
  if (subnetIds.length === 0 && securityGroupIds.length === 0) return null;
  const problems = [];
  if (subnetIds.length === 0)
    problems.push('VPC_SUBNET_IDS is empty while VPC_SECURITY_GROUP_IDS is set: give both, or neither');
  if (securityGroupIds.length === 0)
    problems.push('VPC_SECURITY_GROUP_IDS is empty while VPC_SUBNET_IDS is set: give both, or neither');
  for (const id of subnetIds)
    if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) problems.push(`VPC_SUBNET_IDS: "${id}" is not a subnet id (subnet-...)`);
  for (const id of securityGroupIds)
    if (!/^sg-[0-9a-f]{8,17}$/.test(id))
      problems.push(`VPC_SECURITY_GROUP_IDS: "${id}" is not a security group id (sg-...)`);
  if (problems.length > 0) throw new Error(`Invalid network settings:\n- ${problems.join('\n- ')}`);
  return { subnetIds, securityGroupIds };
};
