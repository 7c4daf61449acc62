import { describe, expect, it } from "vitest";
import { parseVariables } from "./variables";

describe("parseVariables", () => {
  it("reads NAME=value lines, keeping = and spaces in values and skipping blank lines", () => {
    expect(parseVariables("SIZE=large\n\nQUERY=a=b c \r\n")).toEqual({ variables: { SIZE: "large", QUERY: "a=b c " }, error: null });
  });

  it("names the first line that is not NAME=value", () => {
    expect(parseVariables("SIZE=large\n1BAD=x").error).toMatch(/^line 2: /);
    expect(parseVariables("just text").error).toMatch(/^line 1: /);
  });
});
