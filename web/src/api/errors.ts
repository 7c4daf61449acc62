/** An error answer of the server, with its problem detail when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null,
    /** A validation problem's messages, by field. */
    readonly errors: Record<string, string[]> = {},
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = "ApiError";
  }

  get isUnauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export async function toApiError(response: Response): Promise<ApiError> {
  let title = response.statusText || `HTTP ${response.status}`;
  let detail: string | null = null;
  let errors: Record<string, string[]> = {};
  try {
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("json")) {
      const problem = (await response.json()) as { title?: string; detail?: string; errors?: Record<string, string[]> };
      title = problem.title ?? title;
      detail = problem.detail ?? null;
      errors = problem.errors ?? {};
    }
  } catch {
    // Not a problem detail: the status line says enough.
  }
  return new ApiError(response.status, title, detail, errors);
}
