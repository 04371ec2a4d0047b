// Unit tests run alone and in parallel (`npm run test:unit`); `npm test` runs both projects one file at a time, in one
// worker, because the integration tests share one local cluster and some of them stop its API server on purpose.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2024' }, module: { type: 'es6' } }],
};
const common = { transform, extensionsToTreatAsEsm: ['.ts'], testEnvironment: 'node', injectGlobals: true };

export default {
  testTimeout: 60_000,
  // The one worker of `npm test` is replaced between test files once it holds this much (jest keeps every file's
  // modules, coverage counters among them): the suite must fit the machine.
  workerIdleMemoryLimit: '400MB',
  collectCoverageFrom: ['lib/**/*.ts', 'functions/**/*.ts'],
  coverageReporters: ['text-summary', 'json-summary'],
  // The whole suite may not cover less than it did (82 % of statements, 72 % of branches when these were last raised).
  coverageThreshold: { global: { statements: 80, branches: 70, functions: 79, lines: 82 } },
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/integration/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/setup/global-teardown.ts',
    },
    // Whole commands started for real (npm start, npm test, each with its own cluster; osls package and its build):
    // `npm test` runs them after the suite's cluster is gone, so that they never share the machine with it.
    { ...common, displayName: 'commands', testMatch: ['<rootDir>/test/commands/**/*.test.ts'] },
  ],
};
