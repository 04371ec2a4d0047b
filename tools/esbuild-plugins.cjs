// esbuild plugins of the functions' bundles, for serverless-esbuild (serverless.yml's custom.esbuild.plugins) and
// `npm run bench` (bench/bundles.ts). Hand-written: no published plugin does either, and each is a few lines.
const { dirname, resolve } = require('node:path');

/**
 * zod's locales, English only. zod re-exports all its 40-odd locales (`z.locales`, from `locales/index.js`), which
 * esbuild keeps whole: about a third of every bundle. The service answers in English, which zod registers by itself
 * from `locales/en.js`; `z.locales` is left holding `en` alone.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /(^|\/)locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: resolve(args.resolveDir, args.path), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * @smithy packages (the EKS token's signer) by their ES modules. Without an `exports` map, esbuild takes a package's
 * CommonJS `main`, and the signer's CommonJS requires whole submodules of @smithy/core (about 125 KB in every bundle);
 * from its ES module esbuild keeps only what the signer uses. Same code, the other module format.
 */
const smithyModules = {
  name: 'smithy-es-modules',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/[^/]+$/ }, (args) => {
      const manifest = require.resolve(`${args.path}/package.json`, { paths: [args.resolveDir] });
      const { module, exports } = require(manifest);
      return module && !exports ? { path: resolve(dirname(manifest), module) } : undefined;
    });
  },
};

module.exports = [zodEnglishOnly, smithyModules];
