// Where the project is, for tests: its root and the demo's contract.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The embedded demo's contract (the legacy ERP database that `seedErp` creates). */
export const ERP_SPEC = path.join(projectRoot, 'openapi', 'erp.yaml');
