// A small client written against the types generated from /openapi.json: it creates, copies,
// reads and lists program instances. It is only type-checked (`check`): if the document loses a
// field, makes one optional that is always there, or renames an operation, this stops
// compiling.

import type { components, operations } from "./generated/api";

type Instance = components["schemas"]["ProgramInstance"];
type NewInstance = components["schemas"]["NewInstance"];
type InstanceCopy = components["schemas"]["InstanceCopy"];
type InstancePage = components["schemas"]["InstancePage"];
type Problem = components["schemas"]["Problem"];
type ListQuery = NonNullable<operations["listInstances"]["parameters"]["query"]>;

export class ProgramInstances {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      ...init,
      headers: {
        Authorization: `Bearer ${this.key}`,
        "Content-Type": "application/json",
        ...init.headers,
      },
    });
    if (!response.ok) {
      const problem = (await response.json()) as Problem;
      const fields = (problem.errors ?? []).map((e) => `${e.pointer ?? e.parameter}: ${e.code}`);
      throw new Error(`${problem.status} ${problem.code}: ${problem.detail} ${fields.join(", ")}`);
    }
    return (await response.json()) as T;
  }

  create(programSlug: string, body: NewInstance, idempotencyKey?: string): Promise<Instance> {
    const headers: Record<string, string> = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
    return this.call<Instance>(`/programs/${encodeURIComponent(programSlug)}/instances`, {
      method: "POST",
      body: JSON.stringify(body),
      headers,
    });
  }

  /** Next season's instance from this one: every field but those in `body` is copied. */
  copy(id: string, body: InstanceCopy, idempotencyKey?: string): Promise<Instance> {
    const headers: Record<string, string> = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
    return this.call<Instance>(`/programInstances/${encodeURIComponent(id)}/copies`, {
      method: "POST",
      body: JSON.stringify(body),
      headers,
    });
  }

  get(id: string): Promise<Instance> {
    return this.call<Instance>(`/programInstances/${encodeURIComponent(id)}`);
  }

  async list(query: ListQuery): Promise<InstancePage> {
    const parameters = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue;
      parameters.set(name, Array.isArray(value) ? value.join(",") : String(value));
    }
    return this.call<InstancePage>(`/programInstances?${parameters}`);
  }

  /** Every instance matching `query`, page after page. */
  async *all(query: Omit<ListQuery, "cursor">): AsyncGenerator<Instance> {
    let cursor: string | undefined;
    do {
      const page: InstancePage = await this.list(cursor === undefined ? query : { ...query, cursor });
      yield* page.data;
      cursor = page.hasMore && page.nextCursor !== null ? page.nextCursor : undefined;
    } while (cursor !== undefined);
  }
}

export async function example(client: ProgramInstances): Promise<string[]> {
  const created = await client.create(
    "battery-rebate",
    {
      name: "NYC Battery Rebate Program 2023",
      slug: "battery-rebate-nyc-2023",
      eligibilityCriteria: { regions: ["NY"], deviceTypes: ["battery"], minimumCapacity: 5.0 },
      startDate: "2023-01-01T00:00:00Z",
      endDate: "2023-12-31T23:59:59Z",
    },
    "create-nyc-2023",
  );
  // Required members are never optional in the generated types: no `?.` needed.
  const read = await client.get(created.id);
  const accepting: boolean = read.acceptingEnrollments;
  const version: number = read.version;
  const description: string | null = read.description;
  const summer = await client.create("thermostat-demand-response", {
    name: "NYC Summer Demand Response",
    timeZone: "America/New_York",
    seasons: [{ opens: "05-01", closes: "09-30" }],
  });
  const opensAt: string | null = summer.nextChangeAt;
  const next = await client.copy(summer.id, { slug: "nyc-summer-2027", endDate: null }, "copy-2027");
  const copiedFrom: string | null = next.copiedFrom;
  const revision: number = next.revision;
  const names: string[] = [`${opensAt ?? "never"} ${copiedFrom ?? "-"} r${revision}`];
  for await (const instance of client.all({ status: ["active", "inactive"], limit: 50 })) {
    names.push(`${instance.name} (${instance.status}, v${version}, ${accepting}, ${description ?? "-"})`);
  }
  return names;
}
