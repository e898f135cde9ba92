// Start-up checks of the contract as an OpenAPI 3.1 document, before any binding is looked at: what a broken
// reference, a misplaced one, a duplicate operation id or a stray path parameter looks like to the operator.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';
import YAML from 'yaml';
import { SpecError } from '../src/errors/app-error.js';
import { loadSpec } from '../src/openapi/load-spec.js';
import { ERP_SPEC } from './support/project.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let erp: Doc;
before(async () => {
  erp = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as Doc;
});

async function problems(change: (doc: Doc) => void): Promise<readonly string[]> {
  const doc = structuredClone(erp);
  change(doc);
  try {
    await loadSpec(doc);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems;
  }
  assert.fail('the contract was accepted');
}

describe('the contract as an OpenAPI document', () => {
  it('when the shipped ERP contract is loaded, then it is accepted and the served document keeps its references', async () => {
    const doc = structuredClone(erp);
    const spec = await loadSpec(doc);
    assert.ok(spec.resources.some((r) => r.name === 'customers'));
    assert.equal(spec.resources.find((r) => r.name === 'customers')!.entitySchema, doc.components.schemas.Customer);
    assert.deepEqual(spec.document, erp, 'loading leaves the document as written');
  });

  it('when a reference points at nothing, then start-up names it', async () => {
    const found = await problems((d) => {
      d.paths['/customers'].get.responses['200'].content['application/json'].schema.items = { $ref: '#/components/schemas/Customr' };
    });
    assert.deepEqual(found, ['#/components/schemas/Customr: the reference points at nothing in the document']);
  });

  it('when a response refers to something that is not a response, then start-up says where and what is wrong with it', async () => {
    const found = await problems((d) => {
      d.paths['/customers'].get.responses['404'] = { $ref: '#/components/schemas/Customer' };
    });
    assert.ok(
      found.some((p) => p.startsWith('paths./customers.get.responses.404 → #/components/schemas/Customer')),
      found.join('\n'),
    );
  });

  it('when a response has no description, then the OpenAPI schema check names the place', async () => {
    const found = await problems((d) => {
      delete d.components.responses.Problem.description;
    });
    assert.ok(found.some((p) => p === 'components.responses.Problem: is missing the required property "description"'), found.join('\n'));
  });

  it('when two operations share an operationId, then start-up names both places', async () => {
    const found = await problems((d) => {
      d.paths['/customers/{id}'].get.operationId = 'listCustomers';
    });
    assert.ok(
      found.includes('paths./customers/{id}.get: operationId listCustomers is already used by paths./customers.get; operation ids must be unique'),
      found.join('\n'),
    );
  });

  it('when a path parameter is not in the path or a placeholder has no parameter, then start-up says which', async () => {
    const found = await problems((d) => {
      d.paths['/customers/{id}'].parameters[0].name = 'customerId';
    });
    assert.ok(found.some((p) => /path parameter customerId has no \{customerId\} in the path/.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /no path parameter declares \{id\}/.test(p)), found.join('\n'));
  });

  it('when a bearer scheme lacks its scheme, then start-up says what a scheme of that type needs', async () => {
    const found = await problems((d) => {
      const [name] = Object.keys(d.components.securitySchemes);
      delete d.components.securitySchemes[name!].scheme;
    });
    assert.ok(found.some((p) => /^components\.securitySchemes\.\w+: a http scheme needs scheme$/.test(p)), found.join('\n'));
  });

  it('when an entity property refers to a shared schema, then the resource sees it dereferenced and the document keeps the reference', async () => {
    const doc = structuredClone(erp);
    doc.components.schemas.Region = doc.components.schemas.Customer.properties.region;
    doc.components.schemas.Customer.properties.region = { $ref: '#/components/schemas/Region' };
    const spec = await loadSpec(doc);
    const customers = spec.resources.find((r) => r.name === 'customers')!;
    assert.deepEqual(customers.columns.get('region')!.schema, erp.components.schemas.Customer.properties.region);
    assert.deepEqual(doc.components.schemas.Customer.properties.region, { $ref: '#/components/schemas/Region' });
  });
});
