// The door of contracts/: zod schemas (and the pure checks they use). Imports nothing of ours.
export * from './application.ts';
export * from './department.ts';
export * from './divisions.ts';
export * from './errors.ts';
export * from './identifiers.ts';
export * from './identity.ts';
export * from './json-guard.ts';
export * from './messages.ts';
export * from './status.ts';
export * from './steps.ts';
export * from './signature.ts';
export * from './sms.ts';
export * from './text.ts';
export * from './form-description.ts';
export * from './form-labels.ts';
export * from './reference.ts';
export * from './portal.ts';
