// Flat config: typescript-eslint's recommended rules, plus the one architectural rule we rely on:
// nodes/core/** is pure logic and must never import Node-RED.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.build/**', 'dist/**', 'node_modules/**', '.demo/**', '.compat/**', '.bench/**', 'coverage/**', 'resources/**'] /* resources/: third-party files the build copies in */ },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  {
    // Node-RED nodes are constructor functions; keeping `this` as `node` for callbacks is its idiom.
    files: ['nodes/*.ts'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    files: ['nodes/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^node-red($|/)', message: 'nodes/core is pure logic: inject what you need instead of importing Node-RED.' },
          { regex: '^@node-red/', message: 'nodes/core is pure logic: inject what you need instead of importing Node-RED.' },
          { regex: '(^|/)lib/', message: 'nodes/core must not depend on the Node-RED-aware helpers in nodes/lib.' },
        ],
      }],
    },
  },
  {
    files: ['scripts/**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
