// Lint configuration for the whole repository: ESLint and typescript-eslint recommended rules.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // tmp/ holds local scratch files (git-ignored); test/generated/ is written by openapi-typescript.
  { ignores: ['dist/', 'node_modules/', 'tmp/', 'test/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Everything here runs on Node (scripts, benchmarks, migrations, the gateway).
    languageOptions: { globals: globals.node },
    rules: {
      // A leading underscore marks a parameter or binding that a signature requires but the body doesn't use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
);
