// The door of mocks/kit: what every mock department shares.
export { ERROR_KINDS, ErrorKind, MockBehaviourDocument, MockMode, resolveBehaviour } from './behaviour.ts';
export type { MockBehaviour, MockBehaviourInput } from './behaviour.ts';
export { chinaDate, startMock } from './department-server.ts';
export { createGatewayAuth } from './gateway-auth.ts';
export type { GatewayAuth, GatewayAuthOptions, GatewayAuthResult } from './gateway-auth.ts';
export type {
  MockDepartment,
  MockDepartmentOptions,
  MockEffect,
  MockRoutesContext,
  MockStepContext,
  MockStepDefinition,
  ReceivedRequest,
  SentCallback,
  StepMilestone,
} from './department-server.ts';
export {
  generateCreditCode,
  generateRegistrationNumber,
  generateS10TrackingNumber,
  isValidIso7064Mod1110,
  iso7064Mod1110CheckDigit,
} from './identifiers.ts';
export type { CreditCodeParts } from './identifiers.ts';
export { mulberry32, pick, randomChars, randomDigits, randomInt } from './random.ts';
export type { Random } from './random.ts';
