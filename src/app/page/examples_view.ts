// The examples as thumbnails (28×28 images) with their labels, counts per class, and a
// selection to relabel or delete. A listbox: one tab stop, arrow keys move, a digit key
// relabels, Delete removes; a click or a tap selects.
import { classCounts, type Example, type ExampleSet } from '../common/examples';
import { paintDigit } from './drawing';

export interface ExamplesViewElements {
  thumbs: HTMLElement;
  counts: HTMLElement;
  selected: HTMLElement;
  selectedText: HTMLElement;
  relabel: HTMLSelectElement;
  remove: HTMLButtonElement;
}

export interface ExampleEdits {
  relabel(id: number, label: number): void;
  remove(id: number): void;
}

const ORIGIN: Record<Example['origin'], string> = { drawn: 'drawn', builtin: 'built-in', imported: 'imported' };

export class ExamplesView {
  private set: ExampleSet = { items: [], builtin: null, nextId: 1 };
  private numClasses = 10;
  private images = true;
  private selectedId: number | null = null;
  private rendering = 0;

  constructor(private readonly el: ExamplesViewElements, private readonly edits: ExampleEdits) {
    el.thumbs.addEventListener('click', (e) => {
      const button = (e.target as HTMLElement).closest<HTMLElement>('.thumb');
      if (button) this.select(Number(button.dataset.id), true);
    });
    el.thumbs.addEventListener('keydown', (e) => this.key(e));
    el.relabel.addEventListener('change', () => { if (this.selectedId !== null) edits.relabel(this.selectedId, Number(el.relabel.value)); });
    el.remove.addEventListener('click', () => { if (this.selectedId !== null) edits.remove(this.selectedId); });
  }

  /** Shows `set` for a model of `numClasses` classes; `images`: its input is a 28×28 image. */
  show(set: ExampleSet, numClasses: number, images: boolean): void {
    const old = this.set.items;
    this.set = set;
    const shapeChanged = numClasses !== this.numClasses || images !== this.images || this.el.relabel.options.length === 0;
    if (shapeChanged) {
      this.numClasses = numClasses; this.images = images;
      this.el.relabel.replaceChildren(...Array.from({ length: numClasses }, (_, c) => new Option(String(c), String(c))));
    }
    const items = set.items;
    const prefix = (n: number) => old.slice(0, n).every((e, i) => e === items[i]);
    if (shapeChanged || this.rendering === 0) {
      this.renderThumbs();
    } else if (items.length > old.length && prefix(old.length)) {
      // Added at the end: only the new thumbnails.
      if (this.images) this.el.thumbs.append(...items.slice(old.length).map((e) => this.thumb(e)));
      this.syncFocusable();
    } else if (items.length === old.length - 1) {
      const gone = old.find((e, i) => e !== items[i]);
      if (gone && old.filter((e) => e !== gone).every((e, i) => e === items[i])) {
        this.el.thumbs.querySelector(`#example-${gone.id}`)?.remove();
        this.syncFocusable();
      } else {
        this.renderThumbs();
      }
    } else if (items.length === old.length) {
      // Relabelled in place (same ids), or something else: redrawn.
      const changed = items.map((e, i) => (e !== old[i] ? i : -1)).filter((i) => i >= 0);
      if (changed.every((i) => items[i].id === old[i].id)) changed.forEach((i) => this.relabelled(items[i]));
      else this.renderThumbs();
    } else {
      this.renderThumbs();
    }
    this.renderCounts();
    if (this.selectedId !== null && !set.items.some((e) => e.id === this.selectedId)) this.selectedId = null;
    this.renderSelection();
  }

  private renderCounts(): void {
    const n = this.set.items.length;
    if (n === 0) { this.el.counts.textContent = 'No examples yet.'; return; }
    const counts = classCounts(this.set, this.numClasses);
    const drawn = this.set.items.filter((e) => e.origin === 'drawn').length;
    const parts = counts.map((k, c) => `${c}: ${k}`).join(' · ');
    this.el.counts.textContent = `${n} example${n === 1 ? '' : 's'}${drawn ? ` (${drawn} drawn)` : ''} — ${parts}`;
  }

  /** Thumbnails, a few hundred per frame so the page never stalls. */
  private renderThumbs(): void {
    const token = ++this.rendering;
    this.el.thumbs.replaceChildren();
    if (!this.images) return;
    const items = this.set.items;
    let at = 0;
    const chunk = () => {
      if (token !== this.rendering) return;
      const frag = document.createDocumentFragment();
      for (const end = Math.min(items.length, at + 200); at < end; at++) frag.append(this.thumb(items[at]));
      this.el.thumbs.append(frag);
      this.syncFocusable();
      if (at < items.length) requestAnimationFrame(chunk);
    };
    chunk();
  }

  private thumb(e: Example): HTMLElement {
    const b = document.createElement('div');
    b.className = `thumb ${e.origin}`;
    b.setAttribute('role', 'option');
    b.dataset.id = String(e.id);
    b.id = `example-${e.id}`;
    b.tabIndex = -1;
    b.setAttribute('aria-selected', String(e.id === this.selectedId));
    b.setAttribute('aria-label', `example ${e.id}, ${ORIGIN[e.origin]}, labelled ${e.label}`);
    const c = document.createElement('canvas');
    paintDigit(c, e.features);
    const label = document.createElement('span');
    label.textContent = String(e.label);
    b.append(c, label);
    return b;
  }

  /** Updates one example's label in place. */
  private relabelled(e: Example): void {
    const b = this.el.thumbs.querySelector<HTMLElement>(`#example-${e.id}`);
    if (b) {
      b.querySelector('span')!.textContent = String(e.label);
      b.setAttribute('aria-label', `example ${e.id}, ${ORIGIN[e.origin]}, labelled ${e.label}`);
    }
  }

  private syncFocusable(): void {
    const all = this.el.thumbs.querySelectorAll<HTMLElement>('.thumb');
    const current = this.selectedId !== null ? this.el.thumbs.querySelector<HTMLElement>(`#example-${this.selectedId}`) : null;
    all.forEach((b) => { b.tabIndex = -1; });
    const target = current ?? all[0];
    if (target) target.tabIndex = 0;
  }

  private select(id: number | null, focus: boolean): void {
    this.selectedId = id;
    this.el.thumbs.querySelectorAll<HTMLElement>('.thumb[aria-selected="true"]').forEach((b) => b.setAttribute('aria-selected', 'false'));
    const b = id !== null ? this.el.thumbs.querySelector<HTMLElement>(`#example-${id}`) : null;
    b?.setAttribute('aria-selected', 'true');
    this.syncFocusable();
    if (b && focus) { b.focus(); b.scrollIntoView({ block: 'nearest' }); }
    this.renderSelection();
  }

  private renderSelection(): void {
    const e = this.set.items.find((x) => x.id === this.selectedId);
    this.el.selected.hidden = !e;
    if (!e) return;
    this.el.selectedText.textContent = `Example ${e.id} (${ORIGIN[e.origin]})`;
    this.el.relabel.value = String(e.label);
  }

  private key(e: KeyboardEvent): void {
    const items = this.set.items;
    if (items.length === 0) return;
    const i = Math.max(0, items.findIndex((x) => x.id === this.selectedId));
    const perRow = Math.max(1, Math.floor(this.el.thumbs.clientWidth / 43));
    const move = (to: number) => { e.preventDefault(); this.select(items[Math.max(0, Math.min(items.length - 1, to))].id, true); };
    switch (e.key) {
      case 'ArrowRight': return move(this.selectedId === null ? 0 : i + 1);
      case 'ArrowLeft': return move(i - 1);
      case 'ArrowDown': return move(this.selectedId === null ? 0 : i + perRow);
      case 'ArrowUp': return move(i - perRow);
      case 'Home': return move(0);
      case 'End': return move(items.length - 1);
      case 'Enter': case ' ': return move(i);
      case 'Delete': case 'Backspace':
        if (this.selectedId !== null) {
          e.preventDefault();
          const next = items[i + 1] ?? items[i - 1];
          this.edits.remove(this.selectedId);
          if (next) this.select(next.id, true);
        }
        return;
      default:
        if (/^[0-9]$/.test(e.key) && this.selectedId !== null && Number(e.key) < this.numClasses) {
          e.preventDefault();
          this.edits.relabel(this.selectedId, Number(e.key));
        }
    }
  }
}
