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
export type { AttemptEvent, InstanceStatus, StatusSource } from './types.js';
