// A real OpenID provider (npm oidc-provider) for the sign-in tests, on loopback only.
//
// Started by tests/accounts/oidc.py: `node provider.mjs CONFIG.json`. The configuration
// names the clients (id, secret, redirect and logout addresses) and the accounts
// (subject, e-mail, name). It listens on an ephemeral port of 127.0.0.1 and prints one
// line `listening <issuer>` when ready. Its own development pages sign in any login
// whose name is one of the accounts' subjects (the password is not checked).
//
// With "wrongAudience": true every ID token names another audience than the client
// that asked for it, as a token meant for another application would.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.sub, account]));

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      client_id: client.id,
      client_secret: client.secret,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name'] },
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: account.email,
            email_verified: true,
            name: account.name,
            given_name: account.given_name,
            family_name: account.family_name,
          };
        },
      };
    },
    pkce: { required: () => false },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['test-only-cookie-key'] },
  });
  if (config.wrongAudience) {
    const issue = provider.IdToken.prototype.issue;
    provider.IdToken.prototype.issue = function issueForAnotherAudience(...args) {
      const client = this.client;
      this.client = new Proxy(client, {
        get: (target, name) => (name === 'clientId' ? 'another-application' : Reflect.get(target, name)),
      });
      return issue.apply(this, args);
    };
  }
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  server.on('request', provider.callback());
  console.log(`listening ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
