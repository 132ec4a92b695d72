/**
 * XML responses for RPC (V1-signed) requests that ask for XML or do not say (`Format` defaults to
 * XML: AlibabaCloudDocs/ecs `Getting started/Response results.md`; facts §1.3). Handlers build
 * JSON; only the XML path converts it, so every action gets XML without knowing about it.
 *
 * The shape follows the XML samples of the API pages (AlibabaCloudDocs/ecs
 * `API Reference/Cloud assistant/DescribeCloudAssistantStatus.md`, `DescribeInvocations.md`):
 * - the root element is `<{Action}Response>`, preceded by `<?xml version="1.0" encoding="UTF-8"?>`;
 * - an object member becomes an element of the same name, in the JSON order;
 * - a list becomes one element per item, named after the list's key, directly under the parent:
 *   `{"InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[a,b]}}` is
 *   `<InstanceCloudAssistantStatusSet><InstanceCloudAssistantStatus>a…</InstanceCloudAssistantStatus><InstanceCloudAssistantStatus>b…</InstanceCloudAssistantStatus></InstanceCloudAssistantStatusSet>`;
 * - strings, numbers and booleans are text (`true`/`false`); an empty string is an empty element;
 * - `null` members are left out (no sample shows one; UNVERIFIED).
 * Errors are `<Error><RequestId/><HostId/><Code/><Message/><Recommend/></Error>` (same page).
 */

export const XML_TYPE = 'text/xml;charset=utf-8';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Characters XML 1.0 does not allow anywhere, even escaped: replaced by U+FFFD. */
const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_ESCAPE = /[&<>]/;

/** Text content: `&`, `<`, `>` escaped; characters XML cannot carry replaced by U+FFFD. */
export function escapeXmlText(text: string): string {
  let out = text.replace(INVALID_XML_CHARS, '\uFFFD');
  if (NEEDS_ESCAPE.test(out)) out = out.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return out;
}

/** An element name from a JSON key: the API's keys are already XML names; anything else is made one. */
function elementName(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) ? key : `_${key.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

function element(name: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value) out += element(name, item);
    return out;
  }
  if (typeof value === 'object') return `<${name}>${members(value as Record<string, unknown>)}</${name}>`;
  return `<${name}>${escapeXmlText(String(value))}</${name}>`;
}

function members(object: Record<string, unknown>): string {
  let out = '';
  for (const key in object) out += element(elementName(key), object[key]);
  return out;
}

/**
 * The XML form of a JSON response body. `json` must be an object (every ECS response is);
 * `action` names the root element `<{action}Response>`.
 */
export function jsonToXml(action: string, json: string): string {
  const value: unknown = JSON.parse(json);
  const root = `${elementName(action || 'Unknown')}Response`;
  const inner =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? members(value as Record<string, unknown>)
      : element('Value', value);
  return `${DECLARATION}<${root}>${inner}</${root}>`;
}

/** The documented XML error body. */
export function errorXml(fields: {
  readonly RequestId: string;
  readonly HostId: string;
  readonly Code: string;
  readonly Message: string;
  readonly Recommend: string;
}): string {
  return `${DECLARATION}<Error>${members(fields as unknown as Record<string, unknown>)}</Error>`;
}
