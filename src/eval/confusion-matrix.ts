import { checkLabels } from './validate';

/** Counts of (true class, predicted class): rows = true, columns = predicted. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, nClasses: number): number[][] {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} labels but yPred has ${yPred.length}: they must pair up.`);
  }
  checkLabels(yTrue, nClasses, 'yTrue');
  checkLabels(yPred, nClasses, 'yPred');
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}
