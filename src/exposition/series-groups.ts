// A metric family's series grouped by their first label (the target, for every target-scoped
// family), each group's text kept as one Part until one of its series changes. A target's cycle
// changes its own series and none of the others', so after prerender() a scrape finds nearly every
// group rendered and compressed, whatever the scrape interval.
import { keptText, Part } from './gzip-parts.js';

type Labels = Record<string, string | number>;

/** How one kind of family (counter, gauge, histogram, summary) is read and written. */
export interface FamilyKind<E extends { labels: Labels }> {
  /** Changes whenever the series' text does: a histogram's count, a counter's value. */
  version(e: E): number;
  /** A second version beside the first, for text that changes without a new observation (a
   *  summary's sliding window). Reading it may update the entry (rotate the window). */
  revision?(e: E): number;
  render(e: E): string;
}

interface Group {
  keys: string[];
  versions: number[]; // version (and revision) of each series when the part was rendered
  part: Part | undefined;
}

interface Grouping {
  hashMap: object;
  size: number;
  lastKey: string | undefined;
  groups: Group[];
  byValue: Map<unknown, Group>;
}

const sameKeys = (a: string[], b: string[]): boolean => a.length === b.length && a.every((k, i) => k === b[i]);

export class SeriesGroups<E extends { labels: Labels }> {
  private grouping: Grouping | undefined;

  constructor(
    private readonly kind: FamilyKind<E>,
    private readonly groupLabel: string | undefined,
  ) {}

  /** The family's series as parts, rendering only the groups that changed since last time. */
  parts(hashMap: Record<string, E>, out: Part[]): void {
    for (const g of this.groupsOf(hashMap)) {
      if (!g.part || this.changed(g, hashMap)) g.part = this.render(g, hashMap);
      if (g.part.text.length > 0) out.push(g.part);
    }
  }

  /** prom-client keys a series by its labels, adds a new one at the end of its map, deletes one on
   *  remove() and replaces the whole map on reset(): the same map, size and last key mean the same
   *  keys. An entry itself may be replaced under its key (a gauge's set()), so it is read by key. */
  private groupsOf(hashMap: Record<string, E>): Group[] {
    const keys = Object.keys(hashMap);
    const lastKey = keys[keys.length - 1];
    const g = this.grouping;
    if (g && g.hashMap === hashMap && g.size === keys.length && g.lastKey === lastKey) return g.groups;
    const byValue = new Map<unknown, Group>();
    for (const k of keys) {
      const v = this.groupLabel === undefined ? undefined : hashMap[k]!.labels[this.groupLabel];
      let group = byValue.get(v);
      if (!group) {
        group = { keys: [], versions: [], part: undefined };
        byValue.set(v, group);
      }
      group.keys.push(k);
    }
    // A series added to (or removed from) one target regroups the family: the other targets' groups
    // keep their text (entries are still compared by key and version). Not across a reset(): its
    // new entries may repeat the old versions with other values.
    if (g && g.hashMap === hashMap) {
      for (const [v, group] of byValue) {
        const old = g.byValue.get(v);
        if (old && sameKeys(old.keys, group.keys)) {
          group.part = old.part;
          group.versions = old.versions;
        }
      }
    }
    this.grouping = { hashMap, size: keys.length, lastKey, groups: [...byValue.values()], byValue };
    return this.grouping.groups;
  }

  private changed(g: Group, hashMap: Record<string, E>): boolean {
    const { version, revision } = this.kind;
    const stride = revision ? 2 : 1;
    for (let i = 0; i < g.keys.length; i++) {
      const e = hashMap[g.keys[i]!];
      if (!e || version(e) !== g.versions[i * stride]) return true;
      if (revision && revision(e) !== g.versions[i * stride + 1]) return true;
    }
    return false;
  }

  private render(g: Group, hashMap: Record<string, E>): Part {
    const { version, revision, render } = this.kind;
    g.versions.length = 0;
    let text = '';
    for (const k of g.keys) {
      const e = hashMap[k];
      if (!e) {
        // removed: the next call regroups (the map's size changed); NaN never matches
        g.versions.push(NaN, NaN);
        if (!revision) g.versions.pop();
        continue;
      }
      g.versions.push(version(e));
      if (revision) g.versions.push(revision(e));
      text += render(e);
    }
    return new Part(keptText(text));
  }
}
