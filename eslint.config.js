// Lint rules: typescript-eslint's type-aware set (an unawaited promise in a daemon is a lost write),
// plus the house rules DESIGN.md states in words: dependencies point inward, no import cycles,
// nock only through the test helper, exhaustive switches, type-only imports marked as such.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const CORE_RULE = 'src/core imports no connector, server, simulator or CLI code (DESIGN.md: dependencies point inward)';
const CONNECTOR_RULE =
  'a connector imports core and its own files only, never another connector, the server, a simulator or the CLI';
const NOCK_RULE =
  'use nock through test/helpers/http-mock.ts, which disables real network and cleans up after each test';

const outward = (names) => names.flatMap((name) => [`**/${name}/**`, `**/${name}.js`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/artifacts/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Dependencies are TypeScript: without these, import-x skips them and finds no cycle.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.check.json' })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
      'no-restricted-imports': ['error', { paths: [{ name: 'nock', message: NOCK_RULE }] }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'nock', message: NOCK_RULE }],
          patterns: [
            {
              group: outward(['connectors', 'server', 'simulators', 'cli', 'doctor']).concat([
                '**/daemon.js',
                '**/demo.js',
              ]),
              message: CORE_RULE,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['src/connectors/*/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'nock', message: NOCK_RULE }],
          patterns: [{ group: outward(['server', 'simulators', 'cli', 'doctor']), message: CONNECTOR_RULE }],
        },
      ],
    },
  },
  { files: ['test/helpers/http-mock.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
