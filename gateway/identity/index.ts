// The door of gateway/identity/: who may do what (docs/security.md).
export { createApplicantAuth, type ApplicantAuth, type ApplicantCaller } from './applicants.ts';
export { auditTarget, createAuditLog, type AuditEntryInput, type AuditLog, type AuditTarget } from './audit.ts';
export {
  DEVELOPMENT_IDENTITY_KEY,
  TOKEN_PREFIX,
  bearerCredential,
  codeHash,
  developmentOpsToken,
  issueToken,
  maskMobile,
  mobileKey,
  newSignInCode,
  principal,
  sha256Hex,
  tokenKind,
  type TokenKind,
} from './credentials.ts';
export { createOpsAuth, installOpsAccess, type OpsAuth, type OpsCaller } from './ops.ts';
