/**
 * Decoding of `a=b&c=d` strings (query and `application/x-www-form-urlencoded` bodies). `+` is a
 * space, as in every form decoder; malformed `%` escapes are kept as they are rather than failing,
 * so the signature check (not the parser) decides.
 */
function decode(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

export function parseParams(text: string, into: Record<string, string>): Record<string, string> {
  if (text.length === 0) return into;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const eq = text.indexOf('=', start);
      if (eq >= 0 && eq < end) into[decode(text.slice(start, eq))] = decode(text.slice(eq + 1, end));
      else into[decode(text.slice(start, end))] = '';
    }
    start = end + 1;
  }
  return into;
}
