// promptfoo loads its optional provider SDKs only when a config uses that provider; the tests
// use a local JavaScript provider, so reaching this file means a test needs a package that
// `make redteam-tools` deliberately left out.
throw new Error(
  "this optional promptfoo dependency is not installed by `make redteam-tools` (see .ci/redteam/promptfoo/package.json)"
);
