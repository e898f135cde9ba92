// JSON Schema of a SQL Server source's `mssql:` block: TLS, named instance, application name and sign-in method.

const text = { type: 'string', minLength: 1 } as const;

const authentication = {
  type: 'object',
  required: ['type'],
  oneOf: [
    { additionalProperties: false, properties: { type: { const: 'default' } } },
    { additionalProperties: false, required: ['domain'], properties: { type: { const: 'ntlm' }, domain: text } },
    {
      additionalProperties: false,
      required: ['clientId'],
      properties: { type: { const: 'azure-active-directory-password' }, clientId: text, tenantId: text },
    },
    {
      additionalProperties: false,
      required: ['clientId', 'clientSecret', 'tenantId'],
      properties: { type: { const: 'azure-active-directory-service-principal-secret' }, clientId: text, clientSecret: text, tenantId: text },
    },
    { additionalProperties: false, properties: { type: { const: 'azure-active-directory-msi-vm' }, clientId: text } },
    { additionalProperties: false, properties: { type: { const: 'azure-active-directory-default' }, clientId: text } },
    { additionalProperties: false, required: ['token'], properties: { type: { const: 'azure-active-directory-access-token' }, token: text } },
  ],
} as const;

export const mssqlJsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    encrypt: { oneOf: [{ type: 'boolean' }, { const: 'strict' }] },
    trustServerCertificate: { type: 'boolean' },
    instanceName: text,
    appName: text,
    authentication,
  },
} as const;
