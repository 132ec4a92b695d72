/**
 * The `@cloud-assistant-gate/core/signing` entry point: Alibaba Cloud's ACS3-HMAC-SHA256 (V3) and
 * HMAC-SHA1 (V1) request signing, for code that must sign or verify a request itself (the
 * simulator checks every request it receives with these). A caller of ECS needs none of it:
 * `createEcsClient` signs every call. Kept apart from the main entry point so that the client's
 * API stays small; the implementation is sign.ts.
 *
 * @example
 * import { signV3 } from '@cloud-assistant-gate/core/signing';
 */
export type {
  BuildV1ParamsInput,
  BuildV3RequestInput,
  CanonicalRequestV3Input,
  Credentials,
  SignedV1,
  SignedV3,
  SignV3Input,
} from './sign.js';
export {
  buildV1Params,
  buildV3Headers,
  canonicalQueryString,
  canonicalRequestV3,
  EMPTY_BODY_SHA256,
  encodeQuery,
  formatAcsDate,
  isV3SignedHeader,
  percentEncode,
  sha256Hex,
  signatureV3,
  signV1,
  signV3,
  stringToSignV3,
  V3_ALGORITHM,
} from './sign.js';
