// MQTT topic filters (`+` one level, `#` the rest) in a trie keyed by level, so a topic is matched
// by walking its levels, not by trying every filter: the cost follows the topic's depth, never the
// number of rows. When several filters match, the most specific one wins (see `filterScore`).

/** Topics deeper than this are not matched (MQTT allows more; no plant uses them). */
export const MAX_LEVELS = 32;

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
 * match the same topic never score the same.
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
      if (i < 22) positional += 2 ** (21 - i);
    }
  });
  return literals * 2 ** 30 + (hash ? 0 : 2 ** 29) + plus * 2 ** 23 + positional;
}

interface TrieNode<T> {
  children: Map<string, TrieNode<T>> | null;
  plus: TrieNode<T> | null;
  /** A filter ending in `#` at this node. */
  hash: { value: T; score: number } | null;
  /** A filter ending exactly here. */
  end: { value: T; score: number } | null;
}

const node = <T>(): TrieNode<T> => ({ children: null, plus: null, hash: null, end: null });

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
        if (at.hash) return at.hash.value;
        at.hash = { value, score: filterScore(filter) };
        this.count += 1;
        return undefined;
      }
      if (l === '+') {
        at.plus ??= node<T>();
        at = at.plus;
      } else {
        at.children ??= new Map();
        let next = at.children.get(l);
        if (!next) {
          next = node<T>();
          at.children.set(l, next);
        }
        at = next;
      }
    }
    if (at.end) return at.end.value;
    at.end = { value, score: filterScore(filter) };
    this.count += 1;
    return undefined;
  }

  /** The value of the most specific filter matching `topic`, if any. */
  match(topic: string): T | undefined {
    const levels = topic.split('/');
    if (levels.length > MAX_LEVELS) return undefined;
    let best: { value: T; score: number } | null = null;
    const consider = (c: { value: T; score: number } | null): void => {
      if (c && (!best || c.score > best.score)) best = c;
    };
    // Wildcards at the first level never match topics starting with '$' (MQTT 4.7.2).
    const system = topic.startsWith('$');
    const walk = (at: TrieNode<T>, i: number): void => {
      if (!(system && i === 0)) consider(at.hash);
      if (i === levels.length) {
        consider(at.end);
        return;
      }
      const next = at.children?.get(levels[i]);
      if (next) walk(next, i + 1);
      if (at.plus && !(system && i === 0)) walk(at.plus, i + 1);
    };
    walk(this.root, 0);
    return (best as { value: T; score: number } | null)?.value;
  }
}
