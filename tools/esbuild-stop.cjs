// A serverless plugin for serverless-offline (npm start, npm test): once serverless-esbuild has bundled the functions,
// stop esbuild's service process, which otherwise stays for the life of serverless-offline holding about 300-500 MB
// of the build (nothing rebuilds: npm start restarts the API instead; a later build would start esbuild again).
// CommonJS: osls require()s it.
'use strict';

class StopEsbuildAfterBundling {
  constructor() {
    // `offline:start:init` runs after every `before:offline:start:init` hook, serverless-esbuild's bundling among them.
    this.hooks = { 'offline:start:init': () => require('esbuild').stop() };
  }
}

module.exports = StopEsbuildAfterBundling;
