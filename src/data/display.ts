// How data's galleries reach the screen. data sits above plots and must not import
// it (DESIGN.md "Shape"); the experiment module, which wires both, registers the
// function that draws a gallery and shows it in the notebook. Without one (data
// used on its own, or outside a notebook), a gallery prints as text.
import { galleryText, type Gallery } from './gallery';

export type GalleryDisplay = (g: Gallery) => Promise<void>;

let display: GalleryDisplay | undefined;

export function setGalleryDisplay(fn: GalleryDisplay | undefined): void {
  display = fn;
}

/** Show the gallery (a picture in notebooks, text elsewhere) and return it. */
export async function showGallery(g: Gallery): Promise<Gallery> {
  if (display) await display(g);
  else console.log(galleryText(g));
  return g;
}
