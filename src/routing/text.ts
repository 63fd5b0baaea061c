/** True when `s` is `/pattern/flags` with a pattern JavaScript accepts. */
export function isRegex(s: string): boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(s);
  if (!m) return false;
  try {
    new RegExp(m[1], m[2]);
    return true;
  } catch {
    return false;
  }
}

/** A test of a string: equal to `expected`, or matching it when it is `/regex/flags`. */
export function textTest(expected: string): (actual: string) => boolean {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(expected);
  if (m && isRegex(expected)) {
    const re = new RegExp(m[1], m[2]);
    return (actual) => re.test(actual);
  }
  return (actual) => actual === expected;
}
