// JSON request bodies for writes: size limit (413), strict JSON (400), media type (415).
import express, { type RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../../errors/app-error.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

export function parseJsonBody(limitBytes: number): RequestHandler {
  const json = express.json({ limit: limitBytes, strict: true, type: JSON_TYPES });
  return (req, res, next) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return next();
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is(JSON_TYPES)) {
      return next(new UnsupportedMediaTypeError('send the body as application/json'));
    }
    json(req, res, next);
  };
}
