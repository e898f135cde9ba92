// The CRUD, security and audit suites again, through the Express app rather than the node:http door: both doors run
// the same stages and must give the same answers, headers and audit events (test/doors-identical.test.ts compares
// them side by side). Each suite is nested under its own name here, its hooks with it.
import { describe } from 'node:test';

const SUITES = [
  'crud-read',
  'crud-write',
  'crud-bad-input',
  'crud-outage',
  'chinook-crud',
  'security-pipeline',
  'net-gateway',
  'audit-events',
  'audit-api',
  'audit-faults',
  'audit-ratelimit',
  'idempotency-key',
];

process.env.GATEHOUSE_TEST_DOOR = 'express';
await describe('through the Express app', async () => {
  for (const suite of SUITES) {
    await describe(suite, async () => {
      await import(`./${suite}.test.js`);
    });
  }
});
