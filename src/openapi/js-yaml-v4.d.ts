// js-yaml 4 under its alias (package.json), for reading contracts: what the loader uses of it.
declare module 'js-yaml-v4' {
  export const CORE_SCHEMA: unknown;
  export function load(text: string, options?: { schema?: unknown; filename?: string; maxDepth?: number }): unknown;
}
