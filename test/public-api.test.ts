/**
 * Each package's public API, pinned (issue #16 item 5, docs/decisions.md D155): the runtime names
 * every entry point exports, as a list, so that adding or removing an export is a deliberate diff
 * here, and each of them named in the package's README under "Public API". Types are not listed
 * (they do not exist at run time); knip (`pnpm lint:dead`) keeps the exports behind these entry
 * points used. Needs the build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Entry point (package name and subpath) → the runtime names it exports, sorted. */
const PUBLIC_API: Record<string, string[]> = {
  '@jiema/core': [
    'AppError',
    'BALANCE_EVERY_MS',
    'BackupError',
    'CatalogueOverridesSchema',
    'DatabaseLockedError',
    'ERROR_CODES',
    'FiveSimUpstream',
    'HTTP_STATUS',
    'PostgresError',
    'PostgresUnreachableError',
    'ManualClock',
    'MemoryUpstream',
    'PROMETHEUS_CONTENT_TYPE',
    'SmsActivateUpstream',
    'UPSTREAM_ERROR_KINDS',
    'UPSTREAM_PUSH_PREFIX',
    'UpstreamError',
    'acquireDatabaseLock',
    'acquireSchemaLock',
    'backupDatabase',
    'bindServer',
    'checkLedgerInvariants',
    'checkPostgresUrl',
    'copySqliteToPostgres',
    'createApp',
    'createEngine',
    'createLogger',
    'createSeededRng',
    'createSqliteStores',
    'createStores',
    'cryptoRng',
    'didYouMean',
    'extractCode',
    'formatMicros',
    'generateApiKey',
    'isPostgresUrl',
    'listen',
    'loadCatalogueFixture',
    'openDatabase',
    'openPostgresDb',
    'parseDecimalMicros',
    'parseTrustProxy',
    'peekPostgresSettings',
    'peekSettings',
    'readCatalogueOverrides',
    'recordDatabaseHolder',
    'redactPostgresUrl',
    'redactSecrets',
    'restoreDatabase',
    'silentLogger',
    'smsCode',
    'systemClock',
    'wipeData',
    'writeCatalogueOverrides',
  ],
  '@jiema/core/http': [
    'SlidingWindowLimiter',
    'buildOpenApi',
    'createJsonHttpServer',
    'defineRoute',
    'hashSecret',
    'ok',
    'parseInput',
    'schemas',
    'secretMatches',
  ],
  '@jiema/core/testing': [
    'TEST_ADMIN_TOKEN',
    'TEST_CATALOGUE',
    'requestJson',
    'startTestServer',
    'upstreamContract',
    'usePerTest',
    'usePerTestStarter',
    'useTestServer',
    'useTestServers',
  ],
  '@jiema/core/testing/server': ['TEST_ADMIN_TOKEN', 'TEST_CATALOGUE', 'requestJson', 'startTestServer'],
  '@jiema/simulator/testing': ['TEST_SIMULATOR_DEFAULTS', 'useSimulator', 'useSimulators'],
  '@jiema/simulator': ['BEHAVIOUR_PRESETS', 'BehaviourSpecSchema', 'FaultSpecSchema', 'startSimulator'],
  '@jiema/cli': [
    'ScenarioSchema',
    'SeedFileSchema',
    'applySeed',
    'loadStructuredFile',
    'remoteTarget',
    'runCli',
    'runScenario',
    'scenarioJsonSchema',
    'simulatorTarget',
  ],
  '@jiema/sdk': [
    'API_ERROR_CODES',
    'DEFAULT_BASE_URL',
    'DEFAULT_POLL_INTERVAL_MS',
    'DEFAULT_RETRY',
    'DEFAULT_TIMEOUT_MS',
    'DEFAULT_WAIT_MS',
    'DOCUMENTED_LIMITS',
    'JiemaAbortError',
    'JiemaAlreadyChangedError',
    'JiemaAuthError',
    'JiemaBadCountryError',
    'JiemaBadRequestError',
    'JiemaBadServiceError',
    'JiemaBadStatusError',
    'JiemaClient',
    'JiemaCodeReceivedError',
    'JiemaConnectionError',
    'JiemaError',
    'JiemaForbiddenError',
    'JiemaIdempotencyInProgressError',
    'JiemaIdempotencyMismatchError',
    'JiemaInsufficientBalanceError',
    'JiemaInternalError',
    'JiemaInvalidResponseError',
    'JiemaNoNumbersError',
    'JiemaNotFoundError',
    'JiemaOrderEndedError',
    'JiemaOutcomeUnknownError',
    'JiemaRateLimitedError',
    'JiemaRequestTimeoutError',
    'JiemaServerError',
    'JiemaStorageUnavailableError',
    'JiemaTimeoutError',
    'JiemaUpstreamUnavailableError',
    'JiemaWaitTimeoutError',
    'JiemaWebhookVerificationError',
    'LONG_POLL_SECONDS',
    'ORDER_STATUSES',
    'OrderList',
    'RATE_CLASSES',
    'RatePacer',
    'SDK_VERSION',
    'TERMINAL_STATUSES',
    'WEBHOOK_TOLERANCE_SECONDS',
    'isTerminalStatus',
    'maskApiKey',
    'signWebhookPayload',
    'systemClock',
    'verifyWebhook',
  ],
  '@jiema/console': ['consoleAssetsDir'],
};

/** The package folder and the subpath of an entry point: `@jiema/core/http` → `core`, `./http`. */
function split(entry: string): { pkg: string; sub: string } {
  const [, pkg, rest] = /^@jiema\/([^/]+)(\/.*)?$/.exec(entry)!;
  return { pkg: pkg!, sub: rest ? `.${rest}` : '.' };
}

/** The file an entry point's `import` condition names. */
function importTarget(pkg: string, sub: string): string {
  const manifest = JSON.parse(readFileSync(join(REPO, 'packages', pkg, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { import: string | { default: string } }>;
  };
  const entry = manifest.exports[sub];
  if (entry === undefined || typeof entry === 'string') throw new Error(`${pkg} has no code entry point ${sub}`);
  return typeof entry.import === 'string' ? entry.import : entry.import.default;
}

/** The README's "## Public API" section. */
function publicApiSection(pkg: string): string {
  const readme = readFileSync(join(REPO, 'packages', pkg, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Public API');
  expect(start, `packages/${pkg}/README.md has a "## Public API" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe.each(Object.keys(PUBLIC_API))('%s', (entry) => {
  const { pkg, sub } = split(entry);

  it('exports exactly the pinned runtime names', async () => {
    const mod = (await import(join(REPO, 'packages', pkg, importTarget(pkg, sub)))) as Record<string, unknown>;
    expect(Object.keys(mod).sort()).toEqual([...PUBLIC_API[entry]!].sort());
  });

  it("names each of them in its package's README under Public API", () => {
    const section = publicApiSection(pkg);
    if (sub !== '.') expect(section, `the section names ${entry}`).toContain(entry);
    const missing = PUBLIC_API[entry]!.filter((name) => !new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(section));
    expect(missing, `packages/${pkg}/README.md: names missing from "Public API"`).toEqual([]);
  });
});

it('pins every code entry point of every package', () => {
  const entries: string[] = [];
  for (const pkg of ['core', 'simulator', 'cli', 'sdk', 'console']) {
    const manifest = JSON.parse(readFileSync(join(REPO, 'packages', pkg, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    for (const [sub, target] of Object.entries(manifest.exports)) {
      if (typeof target !== 'string') entries.push(`@jiema/${pkg}${sub === '.' ? '' : sub.slice(1)}`);
    }
  }
  expect(entries.sort()).toEqual(Object.keys(PUBLIC_API).sort());
});
