// Which door a test gateway is served through: the node:http door (data operations answered by the pipeline
// directly; what `gatehouse serve` listens with) or the Express app (GATEHOUSE_TEST_DOOR=express), which answers
// data operations through the same stages. The express-door/ suites run the CRUD, security and audit suites again
// through the Express app, so both doors are held to the same answers, headers and audit events.
import type { RequestListener } from 'node:http';
import type { Gateway } from '../../src/gateway.js';

export type Door = 'http' | 'express';

export function testDoor(): Door {
  return process.env.GATEHOUSE_TEST_DOOR === 'express' ? 'express' : 'http';
}

export function door(gateway: Pick<Gateway, 'app' | 'listener'>): RequestListener {
  return testDoor() === 'express' ? gateway.app : gateway.listener;
}
