// Lint rules, including the architecture's import boundaries (docs/design.md "Architecture"):
// contracts/ imports nothing of ours; services/ and mocks/ import only contracts/;
// the orchestration machine is pure (no I/O modules); nothing but tests and the dev launcher imports mocks/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const io = ['node:*', 'fs', 'net', 'http', 'undici', 'pg', 'better-sqlite3', 'pino', 'fastify', 'prom-client'];
const pattern = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The portal's code runs in the browser (bundled by gateway/web/bundle.ts).
    files: ['gateway/web/portal/**/*.ts'],
    languageOptions: {
      globals: globals.browser,
    },
  },
  {
    files: ['contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [pattern(['**/services/**', '**/gateway/**', '**/mocks/**', '**/test/**'], 'contracts/ imports nothing of ours')] }],
    },
  },
  {
    files: ['services/**/*.ts', 'mocks/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [pattern(['**/gateway/**', '**/test/**', '../../services/**', '../../mocks/**'], 'services/ and mocks/ import only contracts/')] }],
    },
  },
  {
    files: ['gateway/**/*.ts'],
    ignores: ['gateway/dev.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [pattern(['**/mocks/**', '**/test/**'], 'only tests and the dev launcher may import mocks/')] }],
    },
  },
  {
    files: ['gateway/orchestration/machine.ts', 'gateway/orchestration/steps.ts', 'gateway/orchestration/interpret.ts', 'gateway/sla/*.ts', 'gateway/calendar/*.ts'],
    ignores: ['gateway/calendar/shipped.ts'],
    rules: {
      // Type-only imports (e.g. the store's row types) carry no I/O and are allowed.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: io.filter((m) => !m.includes('*')).map((name) => ({ name, message: 'pure module: no I/O', allowTypeImports: true })),
          patterns: [{ group: ['node:*', '**/store/**', '**/services/**', '**/mocks/**'], message: 'pure module: no I/O', allowTypeImports: true }],
        },
      ],
    },
  },
);
