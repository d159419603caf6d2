/**
 * @jiema/core/testing (needs vitest, an optional peer dependency): the test server kit — a real
 * server per test with a manual clock, users with balances and keys, a JSON client
 * (docs/decisions.md D150–D154) — its vitest hooks, and the Upstream conformance suite for other
 * packages' implementations to run. Without vitest, import the kit from `@jiema/core/testing/server`.
 */
export { upstreamContract, type UpstreamHarness } from './upstream/upstream-contract.js';
export {
  requestJson,
  startTestServer,
  TEST_ADMIN_TOKEN,
  TEST_CATALOGUE,
  type CreateTestUserOptions,
  type TestRequestOptions,
  type TestResponse,
  type TestServer,
  type TestServerOptions,
  type TestUser,
} from './testing/server.js';
export {
  usePerTest,
  usePerTestStarter,
  useTestServer,
  useTestServers,
  type UsePerTestOptions,
  type UseTestServerOptions,
} from './testing/use-test-server.js';
