// Where the contract holds a reference, what its target must be: a definition of the OpenAPI 3.1 schema, compiled ahead
// of time under its export name (src/generated/openapi-validators.ts).

/** The definition a reference's target is checked as, and the components section that holds targets of that kind. */
export const REFERENCE_ROLES = {
  parameter: 'parameters',
  'request-body': 'requestBodies',
  response: 'responses',
  header: 'headers',
  example: 'examples',
  link: 'links',
  callbacks: 'callbacks',
  'path-item': 'pathItems',
  'security-scheme': 'securitySchemes',
} as const;

export type ReferenceRole = keyof typeof REFERENCE_ROLES;

/** The name the compiled validator of a definition is exported under (`request-body` → `requestBody`). */
export function exportName(role: ReferenceRole): string {
  return role.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
