/** I₀, the modified Bessel function of the first kind, order 0: the Kaiser window is I₀(β√(1 − u²)) / I₀(β). */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 200; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}
