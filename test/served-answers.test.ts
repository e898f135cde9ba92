// The served document's description of answers, on contracts the demo does not have: shared response objects, inline
// entity schemas, SQL Server's zone-less types, hash masks; and problem instances as URI references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uriReference } from '../src/http/problem.js';
import { loadSpec } from '../src/openapi/load-spec.js';
import { describeAnswers } from '../src/openapi/served-answers.js';

type Json = Record<string, unknown>;

const contract = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/events': {
      'x-gatehouse': { source: 'db', table: 'EVENTS', key: ['id'] },
      get: { operationId: 'listEvents', responses: { '200': { $ref: '#/components/responses/Events' } } },
    },
    '/events/{id}': {
      'x-gatehouse': { source: 'db', table: 'EVENTS', key: ['id'] },
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
      get: {
        operationId: 'getEvent',
        responses: {
          '200': {
            description: 'inline',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['id', 'at'], properties: { id: { type: 'integer' }, at: { type: 'string', format: 'date-time' }, owner: { type: 'string' } } },
              },
            },
          },
        },
      },
    },
  },
  components: {
    responses: {
      Events: { description: 'events', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Event' } } } } },
    },
    schemas: {
      Event: {
        type: 'object',
        required: ['id', 'at'],
        properties: {
          id: { type: 'integer' },
          at: { type: 'string', format: 'date-time', 'x-gatehouse-column': 'AT_DT' },
          owner: { type: 'string', format: 'email' },
        },
      },
    },
  },
};

describe('the served description of answers', () => {
  it('when a list answers through a shared response and a read through an inline schema, then both are read shapes', async () => {
    const spec = await loadSpec(structuredClone(contract));
    // What the binding check finds on SQL Server: `datetime2` keeps no time zone.
    for (const resource of spec.resources) resource.columns.get('at')!.zoneless = true;
    const masks = new Map([['Event', new Map([['owner', { modes: new Set(['hash' as const]), always: false }]])]]);
    const served = describeAnswers(structuredClone(contract) as Json, spec.operations, masks);
    const paths = served.paths as Record<string, Record<string, Json>>;
    const schemas = (served.components as Json).schemas as Record<string, Json>;

    const list = (paths['/events']!.get!.responses as Record<string, Json>)['200']!;
    assert.deepEqual((((list.content as Json)['application/json'] as Json).schema as Json).items, { $ref: '#/components/schemas/EventRead' });
    assert.ok(((list.content as Json)['text/csv'] as Json | undefined), 'a list answers CSV too');
    const read = schemas.EventRead!;
    assert.equal(read.required, undefined);
    assert.equal((read.properties as Record<string, Json>).at!.format, undefined);
    assert.match('2024-05-01T10:00:00.1234567', new RegExp(String((read.properties as Record<string, Json>).at!.pattern)));
    const owner = (read.properties as Record<string, Json>).owner!;
    assert.equal((owner.anyOf as Json[]).length, 2, 'some callers see the owner plain, others hashed');
    assert.match('hmac:AAAAAAAAAAAAAAAAAAAAAA', new RegExp(String((owner.anyOf as Json[])[1]!.pattern)));
    assert.deepEqual(schemas.Event, contract.components.schemas.Event, 'request bodies keep the entity as written');

    const inline = ((((paths['/events/{id}']!.get!.responses as Record<string, Json>)['200']!.content as Json)['application/json'] as Json).schema as Json);
    assert.equal(inline.required, undefined);
    for (const status of ['429', '503', '504', 'default']) assert.ok((paths['/events']!.get!.responses as Json)[status], `documents ${status}`);
  });

  it('when a path holds a stray percent sign, spaces or non-ASCII, then its instance is a valid URI reference', () => {
    assert.equal(uriReference('/customers/%zz'), '/customers/%25zz');
    assert.equal(uriReference('/customers/a%20b'), '/customers/a%20b');
    assert.equal(uriReference('/items/Straße 1"'), '/items/Stra%C3%9Fe%201%22');
    assert.equal(uriReference('/x/\ud83d\ude00/\ud800'), '/x/%F0%9F%98%80/%EF%BF%BD');
  });
});
