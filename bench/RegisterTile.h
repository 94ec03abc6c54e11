//===- RegisterTile.h - A reduction accumulated in a register tile --------===//
//
// The schedule both matmul-shaped benches give their accumulator: computed
// per tile of the consumer, kept in registers, the tile's inner dimension
// vectorized at the natural width and everything unrolled, with the
// reduction outermost so each step is one FMA per register. Only Halide.h,
// so bench/halide_matmul still builds against Halide 14 on its own.
//
//===----------------------------------------------------------------------===//

#ifndef BERT_BENCH_REGISTERTILE_H
#define BERT_BENCH_REGISTERTILE_H

#include "Halide.h"

namespace bert::bench {

// `acc(x, y, ...)` is an init plus one update over `r`; it is computed at
// `consumer`'s loop `at`, x vectorized by `vec`, x and y unrolled.
inline void accumulateInRegisters(Halide::Func acc, Halide::Func consumer,
                                  const Halide::Var &at, const Halide::Var &x,
                                  const Halide::Var &y, const Halide::RVar &r,
                                  int vec) {
  acc.compute_at(consumer, at)
      .store_in(Halide::MemoryType::Register)
      .vectorize(x, vec)
      .unroll(x)
      .unroll(y);
  acc.update().reorder(x, y, r).vectorize(x, vec).unroll(x).unroll(y);
}

} // namespace bert::bench

#endif // BERT_BENCH_REGISTERTILE_H
