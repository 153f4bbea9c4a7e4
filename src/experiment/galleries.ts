// Galleries on screen: data's galleries (ds.show(), anomalies, augment.preview) and
// the error analysis are drawn as one contact sheet and shown as a PNG in notebooks
// (static exports and GitHub keep it); elsewhere they print as text.
import { inspect } from 'node:util';
import { galleryText, setGalleryDisplay, type Gallery } from '../data/index';
import { contactSheetPng, inNotebook, sheetSize, showImage } from '../plots/index';

export async function displayGallery(g: Gallery): Promise<void> {
  if (!inNotebook()) {
    console.log(galleryText(g));
    return;
  }
  const png = await contactSheetPng(g);
  showImage(png, { title: g.title, ...sheetSize(g) });
}

/** Show and return the gallery; in a notebook it prints as one line, not as bytes. */
export async function shownGallery<T extends Gallery>(g: T): Promise<T> {
  await displayGallery(g);
  if (!Object.getOwnPropertyDescriptor(g, inspect.custom)) {
    Object.defineProperty(g, inspect.custom, { value: () => `<gallery: ${g.title}>`, enumerable: false });
  }
  return g;
}

setGalleryDisplay(displayGallery);
