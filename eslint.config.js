// The house rules in code (docs/decisions.md D132): typescript-eslint with type-aware rules, the
// architecture's import boundaries, and no import cycles. `pnpm lint` runs it with zero warnings.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The pure domain (STYLE rule 3): money, pricing rules, the order and its state machine, errors, ports. */
const DOMAIN = [
  'packages/core/src/money/money.ts',
  'packages/core/src/pricing/pricing.ts',
  'packages/core/src/order/order.ts',
  'packages/core/src/order/order-machine.ts',
  'packages/core/src/order/order-presenter.ts',
  'packages/core/src/order/sms-code.ts',
  'packages/core/src/errors/*.ts',
];

const nodeBuiltins = { group: ['node:*'], message: 'The domain never touches the platform (docs/decisions.md D132): pass a port in.' };
const adapters = (what) => ({
  group: [
    'express',
    'better-sqlite3',
    'undici',
    'pino',
    'prom-client',
    'pg',
    'kysely',
    '**/http/**',
    '**/storage/**',
    '**/upstream/sms-activate/**',
    '**/upstream/five-sim/**',
  ],
  message: `${what} imports no HTTP, storage, vendor adapter or logging (docs/decisions.md D132).`,
});
/** Each package imports others only along the documented graph: cli → core, simulator, sdk, console; simulator → core; sdk, core, console → none of ours. */
const packageGraph = (allowed) => ({
  group: ['@jiema/*', ...allowed.map((p) => `!@jiema/${p}`), ...allowed.map((p) => `!@jiema/${p}/*`)],
  message: `This package may import only ${allowed.length ? allowed.map((p) => `@jiema/${p}`).join(', ') : 'none of the other @jiema packages'} (docs/decisions.md D132).`,
});
const crossPackagePaths = {
  group: ['../../*/src/*', '../../../*/src/*', '**/packages/*/src/**'],
  message: 'Import another package by its name, not by a path into its source.',
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'packages/core/assets/**',
      'packages/*/test/**/*.generated.ts',
      '**/*.d.ts',
      '.ci/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./packages/*/tsconfig.json', './packages/console/tsconfig.app.json', './tsconfig.test.json', './tsconfig.lint.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    settings: { 'import-x/resolver': { node: true } },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      // An AbortSignal's reason is whatever the caller gave; passing it on unchanged is the contract.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // Formatters here stringify JSON scalars typed `unknown` on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [packageGraph([]), crossPackagePaths] }] },
  },
  {
    files: DOMAIN,
    rules: {
      'no-restricted-imports': ['error', { patterns: [packageGraph([]), crossPackagePaths, nodeBuiltins, adapters('The domain')] }],
    },
  },
  {
    files: ['packages/sdk/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            packageGraph([]),
            crossPackagePaths,
            { group: ['express', 'better-sqlite3', 'pino', 'zod'], message: 'The SDK has no server dependencies.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/simulator/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [packageGraph(['core']), crossPackagePaths] }] },
  },
  {
    files: ['packages/console/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [packageGraph([]), crossPackagePaths] }] },
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [packageGraph(['core', 'simulator', 'sdk', 'console']), crossPackagePaths] }] },
  },
  {
    // Tests reach their own package's internals by relative path, and other packages only through
    // their public entry points (docs/decisions.md D155).
    files: ['packages/*/test/**/*.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { ...crossPackagePaths, message: "A test uses another package's public API (docs/decisions.md D155), not a path into it." },
            {
              group: ['@jiema/*/src/*', '@jiema/*/dist/*'],
              message: "A test uses another package's public entry points (docs/decisions.md D155).",
            },
          ],
        },
      ],
    },
  },
  {
    // Thin JSON clients over the admin API and scenario steps: the server's document types them, not this code.
    files: [
      'packages/cli/src/admin-client.ts',
      'packages/cli/src/commands/admin.ts',
      'packages/cli/src/commands/support.ts',
      'packages/cli/src/commands/sim.ts',
      'packages/cli/src/replay/runner.ts',
      'packages/cli/src/commands/replay.ts',
      'packages/core/src/http/response-validator.ts',
    ],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
    },
  },
  {
    // Preact event handlers may be async: the framework ignores what they return.
    files: ['packages/console/app/**/*.tsx', 'packages/console/app/**/*.ts'],
    rules: {
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // Handlers are plain arrow functions in objects; nothing relies on `this`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests and scripts: assertions on loosely typed JSON are the point.
    files: [
      '**/*.test.ts',
      '**/*.test.tsx',
      'packages/*/test/**/*.ts',
      'test/**/*.ts',
      'scripts/**',
      'packages/*/scripts/**',
      '*.js',
      '*.ts',
    ],
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Fakes implement async interfaces without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
);
