import assert from 'node:assert/strict';
import { parseCmmsSettings, type CmmsNodeSettings } from '../../nodes/core/cmms/settings';

const base = (over: Partial<CmmsNodeSettings> = {}): CmmsNodeSettings => ({
  dialect: 'maximo', baseUrl: 'https://maximo.example.com/', authType: 'apikey', ...over,
});

function parsed(s: unknown, c = {}) {
  const r = parseCmmsSettings(s, c);
  if (!r.ok) assert.fail(`expected valid settings, got: ${r.errors.join('; ')}`);
  return r.value;
}

function problems(s: unknown, c = {}): string {
  const r = parseCmmsSettings(s, c);
  assert.equal(r.ok, false, 'expected the settings to be refused');
  return r.ok ? '' : r.errors.join('; ');
}

describe('mw-cmms settings', () => {
  it('fills plant-friendly defaults for Maximo and puts the key in the apikey header', () => {
    const v = parsed(base(), { apiKey: 'k1' });
    assert.equal(v.client.baseUrl, 'https://maximo.example.com');
    assert.deepEqual(v.client.auth, { kind: 'apikey', header: 'apikey', key: 'k1' });
    assert.equal(v.client.timeoutMs, 15_000);
    assert.equal(v.client.tls?.rejectUnauthorized, true);
    assert.deepEqual(v.client.maximo, {
      context: 'api', woObjectStructure: 'mxapiwodetail', assetObjectStructure: 'mxapiasset',
      referenceAttribute: 'externalrefid', siteId: undefined, orgId: undefined,
    });
    assert.deepEqual(v.client.rate, { perMinute: 60, burst: 10, concurrency: 4 });
    assert.equal(v.probeIntervalMs, 30_000);
    assert.deepEqual(v.warnings, []);
  });

  it('reads numbers typed as text in the editor', () => {
    const v = parsed(base({ timeoutSeconds: ' 5 ', ratePerMinute: '30', concurrency: '2', maxResponseKB: '64' }), { apiKey: 'k' });
    assert.equal(v.client.timeoutMs, 5000);
    assert.equal(v.client.rate?.perMinute, 30);
    assert.equal(v.client.rate?.concurrency, 2);
    assert.equal(v.client.maxResponseBytes, 64 * 1024);
  });

  it('resolves a relative OAuth token path against the base URL (ServiceNow /oauth_token.do)', () => {
    const v = parsed(base({ dialect: 'servicenow', baseUrl: 'https://x.service-now.com', authType: 'oauth2', tokenUrl: '/oauth_token.do' }),
      { clientId: 'c', clientSecret: 's' });
    assert.equal(v.client.auth.kind, 'oauth2');
    assert.equal(v.client.auth.kind === 'oauth2' && v.client.auth.tokenUrl, 'https://x.service-now.com/oauth_token.do');
    assert.deepEqual(v.client.servicenow, {
      table: 'incident', assetTable: 'cmdb_ci', referenceField: 'correlation_id',
      // Today's out-of-box resolution code, a setting (issue 14 item 18).
      closeCode: 'Solution provided', closeNotes: 'Resolved by Millwright: the condition that raised this incident has cleared.',
    });
  });

  it('warns about basic sign-in, plain http and switched-off certificate checks', () => {
    const v = parsed(base({ baseUrl: 'http://10.0.0.5', authType: 'basic', tlsVerify: false }), { username: 'u', password: 'p' });
    assert.deepEqual(v.warnings.sort(), ['basic', 'http', 'tlsOff']);
  });

  it('refuses missing secrets with a plain explanation', () => {
    assert.match(problems(base(), {}), /API key is empty/);
    assert.match(problems(base({ authType: 'bearer' })), /bearer token is empty/);
    assert.match(problems(base({ authType: 'oauth2' }), { clientId: 'c' }), /token URL is empty.*client ID or secret is empty/);
  });

  it('refuses an unknown dialect, a URL without scheme and a header name with spaces', () => {
    assert.match(problems({ ...base(), dialect: 'sap' }), /config\.dialect/);
    assert.match(problems(base({ baseUrl: 'maximo.example.com' })), /config\.baseUrl/);
    assert.match(problems(base({ apiKeyHeader: 'api key' })), /config\.apiKeyHeader/);
    assert.match(problems(base({ timeoutSeconds: 'soon' })), /config\.timeoutSeconds/);
  });

  it('REST: parses extra headers JSON and refuses bad ones', () => {
    const ok = parsed(base({ dialect: 'rest', authType: 'none', restHeaders: '{"X-Plant":"BEDFORD"}' }));
    assert.deepEqual(ok.client.rest?.headers, { 'X-Plant': 'BEDFORD' });
    assert.match(problems(base({ dialect: 'rest', authType: 'none', restHeaders: '[1]' })), /extra headers/);
    assert.match(problems(base({ dialect: 'rest', authType: 'none', restHeaders: '{"Bad Name":"x"}' })), /Bad Name/);
    assert.match(problems(base({ dialect: 'rest', authType: 'none', restSign: true })), /signing secret is empty/);
  });

  it('a client certificate needs its key', () => {
    assert.match(problems(base({ clientCert: '-----BEGIN CERTIFICATE-----' }), { apiKey: 'k' }), /needs its key/);
  });

  it('never puts a secret into an error text', () => {
    const text = problems(base({ baseUrl: 'nope' }), { apiKey: 'TOPSECRET-123' });
    assert.doesNotMatch(text, /TOPSECRET/);
  });
});

describe('mw-cmms settings: one clear message per bad value', () => {
  it('reports an out-of-range number once, with the range, not every alternative form', () => {
    const r = parseCmmsSettings({ dialect: 'maximo', baseUrl: 'https://m', authType: 'none', ratePerMinute: 10_000_000 });
    assert.equal(r.ok, false);
    const errors = r.ok ? [] : r.errors;
    assert.deepEqual(errors, ['config.ratePerMinute: must be <= 100000']);
  });
});
