import { Matrix } from 'ml-matrix';

/**
 * Pairwise cosine distances 1 - x.y / (|x| |y|) of the rows of `vectors`, as a symmetric v x v
 * matrix with a zero diagonal, clamped to [0, 2] against rounding. A zero vector has no direction:
 * its distance to every other vector is defined as 1 (cosine 0).
 */
export function cosineDistanceMatrix(vectors: readonly (readonly number[])[]): number[][] {
  if (vectors.length === 0) throw new Error('cosineDistanceMatrix: no vectors');
  const dim = vectors[0].length;
  vectors.forEach((row, i) => {
    if (row.length !== dim)
      throw new Error(`cosineDistanceMatrix: row ${i} has ${row.length} values, row 0 has ${dim}`);
    row.forEach((x, j) => {
      if (!Number.isFinite(x)) throw new Error(`cosineDistanceMatrix: value [${i}][${j}] is ${x}, not a finite number`);
    });
  });
  const unit = new Matrix(vectors.map((row) => [...row]));
  for (let i = 0; i < unit.rows; i++) {
    const norm = unit.getRowVector(i).norm();
    if (norm > 0) for (let j = 0; j < unit.columns; j++) unit.set(i, j, unit.get(i, j) / norm);
  }
  const cosines = unit.mmul(unit.transpose()).to2DArray();
  return cosines.map((row, i) => row.map((cos, j) => (i === j ? 0 : Math.min(2, Math.max(0, 1 - cos)))));
}
