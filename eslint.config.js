// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'data/', 'bench/out/', 'dist/', '**/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-params': ['error', 4],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through loadConfig() only.' },
      ],
    },
  },
  {
    // The composition roots and tooling may read the environment; everything else gets a Config.
    files: ['src/main.ts', 'src/config/**', 'src/cli/**', 'src/emulator/main.ts', 'scripts/**', 'test/**', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/emulator/main.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // The emulator is a test double: the service and the client may start it (runtime/vod-backend.ts
    // loads it on demand) but never build on its modules.
    files: ['src/**/*.ts'],
    ignores: ['src/emulator/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/emulator/*'], message: 'Shared code lives outside src/emulator.' }] }],
    },
  },
  {
    // The upload page's browser script: plain JavaScript, outside the TypeScript project.
    files: ['src/http/upload-page/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false, project: null },
      globals: Object.fromEntries(
        ['document', 'window', 'fetch', 'FormData', 'XMLHttpRequest', 'sessionStorage', 'crypto', 'AbortController',
          'TextDecoderStream', 'setTimeout', 'setInterval', 'clearInterval', 'console'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Tests use node:test's describe/it, which return promises the runner tracks.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
);
