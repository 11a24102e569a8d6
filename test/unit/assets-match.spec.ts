import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkTopicFilter, filterScore, TopicTrie } from '../../nodes/core/assets/mqtt';
import { emptyNamespaces, looksLikeNodeId, normaliseNodeId, parseNamespaces } from '../../nodes/core/assets/opcua';

/** The MQTT spec's matching rule, written the slow, obvious way. */
function naiveMatch(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('assets: OPC UA NodeIds', () => {
  it('gives every spelling of the same NodeId one key', () => {
    const same = (a: string, b: string): void => assert.equal(normaliseNodeId(a), normaliseNodeId(b), `${a} vs ${b}`);
    same('i=85', 'ns=0;i=85');
    same('ns=0;i=0085', 'i=85');
    same('nsu=http://opcfoundation.org/UA/;i=85', 'i=85');
    same('ns=2;s=Pump101.Vibration', ' ns=2;s=Pump101.Vibration');
    same('ns=2;s=Pump101.Vibration;datatype=Double', 'ns=2;s=Pump101.Vibration');
    same('NS=2;S=Pump101', 'ns=2;s=Pump101');
    same('ns=3;g=09087E75-8E5E-499B-954F-F2A9603DB28A', 'ns=3;g={09087e75-8e5e-499b-954f-f2a9603db28a}');
    same('svr=0;ns=2;i=7', 'ns=2;i=7');
    assert.equal(normaliseNodeId('ns=2;s=A;B=C'), 'ns=2;s=A;B=C');
    assert.notEqual(normaliseNodeId('ns=2;s=pump'), normaliseNodeId('ns=2;s=Pump'));
    assert.notEqual(normaliseNodeId('ns=2;i=7'), normaliseNodeId('ns=3;i=7'));
  });

  it('maps namespace URIs to indexes through the namespace table', () => {
    const t = parseNamespaces('# the PLC\n2 = urn:plant:plc3\n\n3=urn:plant:vision');
    assert.ok(t.ok);
    assert.equal(normaliseNodeId('nsu=urn:plant:plc3;s=P101.Vib', t.value), 'ns=2;s=P101.Vib');
    assert.equal(normaliseNodeId('ns=2;s=P101.Vib', t.value), 'ns=2;s=P101.Vib');
    assert.equal(normaliseNodeId('nsu=urn:unknown;s=X', t.value), 'nsu=urn:unknown;s=X');
    const bad = parseNamespaces('two = urn:x\n0 = urn:not-ua');
    assert.ok(!bad.ok);
    assert.equal(bad.errors.length, 2);
    assert.match(bad.errors[0], /line 1/);
  });

  it('refuses what is not a NodeId', () => {
    for (const s of ['', 'plant/line2/vib', 'ns=2;x=1', 'ns=2;i=abc', 'ns=2;i=99999999999', 'ns=70000;i=1', 'ns=2;g=not-a-guid', 'ns=2;s=', 'svr=3;i=1', 'ns=1;b=***']) {
      assert.equal(normaliseNodeId(s, emptyNamespaces()), null, s);
    }
    assert.ok(looksLikeNodeId('ns=2;s=X'));
    assert.ok(looksLikeNodeId('i=85'));
    assert.ok(!looksLikeNodeId('plant/i=85'));
  });
});

describe('assets: MQTT topic filters', () => {
  it('accepts valid filters and names what is wrong with invalid ones', () => {
    for (const f of ['a/b', 'a/+/c', '#', 'a/#', '+', '+/+', '/a', 'a//b']) assert.equal(checkTopicFilter(f), null, f);
    assert.match(checkTopicFilter('a/#/b') ?? '', /"#" must be a whole level and the last one/);
    assert.match(checkTopicFilter('a/b#') ?? '', /"#"/);
    assert.match(checkTopicFilter('a/b+/c') ?? '', /"\+" must be a whole level/);
    assert.match(checkTopicFilter('') ?? '', /empty/);
  });

  it('matches exactly as the MQTT rules say (compared with a naive matcher)', () => {
    const level = fc.constantFrom('a', 'b', 'c', '', '$sys');
    const filterLevel = fc.constantFrom('a', 'b', 'c', '', '+', '$sys');
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
        .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/')), { maxLength: 12 }),
      fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/')),
      (filters, topic) => {
        const trie = new TopicTrie<string>();
        for (const f of filters) trie.add(f, f);
        const matching = filters.filter((f) => naiveMatch(f, topic));
        const got = trie.match(topic);
        if (matching.length === 0) assert.equal(got, undefined);
        else {
          const best = matching.reduce((a, b) => (filterScore(b) > filterScore(a) ? b : a));
          assert.equal(got, best);
        }
      },
    ), { numRuns: 500 });
  });

  it('prefers the most specific filter', () => {
    const trie = new TopicTrie<string>();
    for (const f of ['#', 'plant/#', 'plant/+/pump1/vib', 'plant/line2/#', 'plant/+/+/vib', '+/line2/pump1/vib']) trie.add(f, f);
    assert.equal(trie.match('plant/line2/pump1/vib'), 'plant/+/pump1/vib');
    assert.equal(trie.match('plant/line2/pump9/vib'), 'plant/+/+/vib');
    assert.equal(trie.match('plant/line2/pump9/temp'), 'plant/line2/#');
    assert.equal(trie.match('plant'), 'plant/#');
    assert.equal(trie.match('other'), '#');
    assert.equal(trie.match('$SYS/broker/load'), undefined);
    assert.equal(trie.add('plant/#', 'again'), 'plant/#');
    assert.equal(trie.size, 6);
  });
});
