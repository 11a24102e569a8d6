// MQTT topic filters (`+` one level, `#` the rest) in a trie keyed by level, so a topic is matched
// by walking its levels, not by trying every filter: the cost follows the topic's depth, never the
// number of rows. When several filters match, the most specific one wins (see `filterScore`).

/** Topics deeper than this are not matched (MQTT allows more; no plant uses them). */
const MAX_LEVELS = 32;

/** Why `filter` is not a valid MQTT topic filter, or null when it is. */
export function checkTopicFilter(filter: string): string | null {
  if (filter.length === 0) return 'an MQTT topic filter cannot be empty';
  if (filter.includes('\u0000')) return 'an MQTT topic filter cannot contain a NUL character';
  const levels = filter.split('/');
  if (levels.length > MAX_LEVELS) return `an MQTT topic filter may have at most ${MAX_LEVELS} levels`;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '"#" must be a whole level and the last one (e.g. plant/line2/#)';
    if (l.includes('+') && l !== '+') return '"+" must be a whole level (e.g. plant/+/vibration)';
  }
  return null;
}

export const hasWildcard = (filter: string): boolean => filter.includes('+') || filter.includes('#');

/**
 * Higher is more specific: more literal levels first; then no `#` over `#`; then more `+` levels
 * (a/+/# needs more levels than a/#); then literals earlier in the topic. Two different filters that
 * match the same topic never score the same. Kept below 2^30 so V8 stores it as a small integer.
 */
export function filterScore(filter: string): number {
  const levels = filter.split('/');
  let literals = 0;
  let plus = 0;
  let positional = 0;
  let hash = false;
  levels.forEach((l, i) => {
    if (l === '#') hash = true;
    else if (l === '+') plus += 1;
    else {
      literals += 1;
      if (i < 16) positional += 2 ** (15 - i);
    }
  });
  return literals * 2 ** 23 + (hash ? 0 : 2 ** 22) + plus * 2 ** 16 + positional;
}

interface TrieNode<T> {
  /** Most levels have one child: it is kept in two fields, a Map only once there are more. */
  oneKey: string | null;
  one: TrieNode<T> | null;
  children: Map<string, TrieNode<T>> | null;
  plus: TrieNode<T> | null;
  /** A filter ending in `#` at this node, and its score. */
  hash: T | undefined;
  hashScore: number;
  /** A filter ending exactly here, and its score. */
  end: T | undefined;
  endScore: number;
}

const node = <T>(): TrieNode<T> => ({ oneKey: null, one: null, children: null, plus: null, hash: undefined, hashScore: 0, end: undefined, endScore: 0 });

function child<T>(at: TrieNode<T>, key: string): TrieNode<T> | undefined {
  if (at.oneKey === key) return at.one ?? undefined;
  return at.children?.get(key);
}

function addChild<T>(at: TrieNode<T>, key: string): TrieNode<T> {
  const found = child(at, key);
  if (found) return found;
  const next = node<T>();
  if (at.one === null) {
    at.oneKey = key;
    at.one = next;
  } else {
    at.children ??= new Map();
    at.children.set(key, next);
  }
  return next;
}

export class TopicTrie<T> {
  private readonly root: TrieNode<T> = node<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The value already stored under `filter`, or undefined after storing `value`. */
  add(filter: string, value: T): T | undefined {
    const levels = filter.split('/');
    let at = this.root;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      if (l === '#') {
        if (at.hash !== undefined) return at.hash;
        at.hash = value;
        at.hashScore = filterScore(filter);
        this.count += 1;
        return undefined;
      }
      if (l === '+') {
        at.plus ??= node<T>();
        at = at.plus;
      } else {
        at = addChild(at, l);
      }
    }
    if (at.end !== undefined) return at.end;
    at.end = value;
    at.endScore = filterScore(filter);
    this.count += 1;
    return undefined;
  }

  /** The value of the most specific filter matching `topic`, if any. */
  match(topic: string): T | undefined {
    const levels = topic.split('/');
    if (levels.length > MAX_LEVELS) return undefined;
    let best: T | undefined;
    let bestScore = -1;
    // Wildcards at the first level never match topics starting with '$' (MQTT 4.7.2).
    const system = topic.startsWith('$');
    const walk = (at: TrieNode<T>, i: number): void => {
      if (at.hash !== undefined && at.hashScore > bestScore && !(system && i === 0)) {
        best = at.hash;
        bestScore = at.hashScore;
      }
      if (i === levels.length) {
        if (at.end !== undefined && at.endScore > bestScore) {
          best = at.end;
          bestScore = at.endScore;
        }
        return;
      }
      const next = child(at, levels[i]);
      if (next) walk(next, i + 1);
      if (at.plus && !(system && i === 0)) walk(at.plus, i + 1);
    };
    walk(this.root, 0);
    return best;
  }
}
