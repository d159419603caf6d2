/**
 * @jiema/core/testing/server: the test server kit without any test framework (docs/decisions.md
 * D150): for node:test, jest, mocha or a script. `@jiema/core/testing` has all of it too, with
 * the vitest hooks and the Upstream conformance suite.
 */
export {
  startTestServer,
  TEST_ADMIN_TOKEN,
  TEST_CATALOGUE,
  type CreateTestUserOptions,
  type TestServer,
  type TestServerOptions,
  type TestUser,
} from './test-server.js';
export { requestJson, type TestRequestOptions, type TestResponse } from './json-client.js';
