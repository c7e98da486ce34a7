// Logistic models: the ranker's P(action | user, item) is sigmoid(bias + w·x) over the ranking features.

export interface LogisticWeights {
  bias: number;
  weights: number[];
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** P(action) for one feature vector; features beyond the model's weights count as zero weight. */
export function predict(model: LogisticWeights, x: ArrayLike<number>): number {
  let z = model.bias;
  const n = Math.min(model.weights.length, x.length);
  for (let i = 0; i < n; i++) z += model.weights[i] * x[i];
  return sigmoid(z);
}
