/** Variables typed one per line as NAME=value; blank lines are skipped. Returns the problem of the first bad line. */
export function parseVariables(text: string): { variables: Record<string, string>; error: string | null } {
  const variables: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() === "") continue;
    const equals = line.indexOf("=");
    const name = equals < 0 ? line.trim() : line.slice(0, equals).trim();
    if (equals < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      return { variables, error: `line ${i + 1}: write NAME=value, with a name of letters, digits and _ (not starting with a digit)` };
    }
    variables[name] = line.slice(equals + 1);
  }
  return { variables, error: null };
}
