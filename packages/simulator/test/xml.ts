/**
 * XML for the tests, with fast-xml-parser (a pinned dev dependency), so that the simulator's XML
 * is checked by a parser that is not ours: `XMLValidator` rejects anything not well formed
 * (unclosed or mismatched tags, bare `&` or `<`, …) before the document is parsed.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  // Keep every value as the text on the wire: "true" stays a string, "007" stays "007".
  parseTagValue: false,
  trimValues: false,
});

/** Parses an XML body strictly; throws with the validator's reason when it is not well formed. */
export function parseXml(body: string): Record<string, unknown> {
  const valid = XMLValidator.validate(body);
  if (valid !== true)
    throw new Error(`not well-formed XML: ${valid.err.code} ${valid.err.msg} (line ${valid.err.line})`);
  return parser.parse(body) as Record<string, unknown>;
}

/** The API error code of a response body, JSON or XML. */
export function errorCodeOf(res: { headers: Record<string, string>; body: string }): string | undefined {
  if ((res.headers['content-type'] ?? '').startsWith('text/xml')) {
    const doc = parseXml(res.body) as { Error?: { Code?: string } };
    return doc.Error?.Code;
  }
  return (JSON.parse(res.body) as { Code?: string }).Code;
}
