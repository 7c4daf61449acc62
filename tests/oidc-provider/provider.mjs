// A real OpenID Connect provider for Pipeliner's single sign-on tests, on 127.0.0.1 only (never for production: its
// keys are generated per start and any login with any password is accepted by its development sign-in pages).
//
//   node provider.mjs --client-id ID --client-secret SECRET --redirect-uri URI [--roles login=role,login=role]
//
// Listens on a free port and prints "ready <issuer>" once it answers. Each account's claims: sub and
// preferred_username are the login, email is login@example.test, pipeliner_roles lists the role given with --roles.
import http from "node:http";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";

const { values } = parseArgs({
  options: {
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    "redirect-uri": { type: "string" },
    roles: { type: "string", default: "" },
  },
});
for (const required of ["client-id", "client-secret", "redirect-uri"]) {
  if (!values[required]) {
    console.error(`provider.mjs: --${required} is required`);
    process.exit(2);
  }
}
const roles = Object.fromEntries(
  values.roles.split(",").filter(Boolean).map((pair) => pair.split("=", 2)),
);

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: values["client-id"],
        client_secret: values["client-secret"],
        redirect_uris: [values["redirect-uri"]],
        // Signing out of Pipeliner ends the session here too, then comes back to its sign-in page.
        post_logout_redirect_uris: [new URL("/sign-in", values["redirect-uri"]).href],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    claims: {
      openid: ["sub"],
      profile: ["preferred_username", "pipeliner_roles"],
      email: ["email"],
    },
    cookies: { keys: ["pipeliner-tests-only"] },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            preferred_username: id,
            email: `${id}@example.test`,
            ...(roles[id] ? { pipeliner_roles: [roles[id]] } : {}),
          };
        },
      };
    },
  });
  // The development pages import a web font from the internet: taken out, so a browser in the tests asks nothing
  // outside this machine.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === "string" && ctx.type === "text/html") ctx.body = ctx.body.replace(/@import url\([^)]*\);/g, "");
  });
  server.on("request", provider.callback());
  console.log(`ready ${issuer}`);
});

// The test ends the provider by closing its standard input (or killing it).
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
