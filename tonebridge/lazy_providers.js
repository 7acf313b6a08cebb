"use strict";
/**
 * The Node.js half of tonebridge/lazy_providers.py: the jsii kernel requires each provider package's
 * lib/index.js when Python imports the package, and that file requires every submodule up front
 * (`exports.vpc = require("./vpc");`, 2,135 lines for aws): 1.4-2.1 s of Node.js per provider
 * (aws, kubernetes, google) on every synthesis. Preloaded into the kernel's Node.js process
 * (NODE_OPTIONS=--require, set by lazy_providers.install()), this hook compiles those index files
 * with each such line turned into a getter that requires the submodule on first access and then
 * keeps it as a plain property. The kernel finds a class by walking the package's exports
 * (`exports.vpc.Vpc`), which is that access; nothing else in the kernel or cdktf lists them.
 * Any other line, and any other file, compiles unchanged.
 */
const Module = require("module");

/** The npm names of tonebridge.lazy_providers.PROVIDER_PACKAGES (a test checks the two agree). */
const PROVIDERS = ["aws", "google", "helm", "kubernetes"];
/** lib/index.js at a package's root: in node_modules, or in the jsii package cache (<version>/<hash>/). */
const INDEX = new RegExp(
  `[\\\\/]@cdktf[\\\\/]provider-(?:${PROVIDERS.join("|")})(?:[\\\\/][^\\\\/]+){0,2}[\\\\/]lib[\\\\/]index\\.js$`,
);
const EAGER_EXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\(("\.\/[^"\\]+")\);$/gm;

/** The index source with every eager submodule export made lazy. */
function lazyIndex(source) {
  return source.replace(
    EAGER_EXPORT,
    (_, name, path) =>
      `Object.defineProperty(exports, "${name}", { configurable: true, enumerable: true, get() {` +
      ` const m = require(${path});` +
      ` Object.defineProperty(exports, "${name}", { value: m, enumerable: true, writable: true, configurable: true });` +
      ` return m; } });`,
  );
}

/** Per provider: submodules its index exports, and those required (what the tests and `make bench` read). */
const loaded = {};
const SUBMODULE = new RegExp(
  `[\\/]@cdktf[\\/]provider-(${PROVIDERS.join("|")})(?:[\\/][^\\/]+){0,2}[\\/]lib[\\/][^\\/]+[\\/]index\.js$`,
);

const compile = Module.prototype._compile;
Module.prototype._compile = function compileLazily(content, filename, ...rest) {
  if (INDEX.test(filename)) {
    const provider = filename.match(/provider-([a-z]+)/)[1];
    loaded[provider] = { exports: (content.match(EAGER_EXPORT) || []).length, required: 0 };
    if (loaded[provider].exports === 0) {
      // Never silent: the index format changed, so this provider's modules all load up front again.
      process.stderr.write(
        `tonebridge/lazy_providers.js: ${filename} has no \`exports.x = require("./x");\` line: the provider ` +
          `index format changed and all its modules load eagerly (+1.5-2 s); update EAGER_EXPORT ` +
          `(tests/test_jsii_internals.py)\n`,
      );
    }
    content = lazyIndex(content);
  } else {
    const sub = filename.match(SUBMODULE);
    if (sub && loaded[sub[1]]) loaded[sub[1]].required += 1;
  }
  return compile.call(this, content, filename, ...rest);
};

// TONEBRIDGE_NODE_MODULES_REPORT=<file>: write `loaded` there as JSON when the process exits. Only the
// process that loaded a provider writes (the jsii runtime's launcher process, preloaded too, loads none).
const report = process.env.TONEBRIDGE_NODE_MODULES_REPORT;
if (report) {
  process.on("exit", () => {
    if (Object.keys(loaded).length > 0) require("fs").writeFileSync(report, JSON.stringify(loaded));
  });
}

module.exports = { INDEX, PROVIDERS, lazyIndex };
