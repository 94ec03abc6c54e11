//===- Schedules.h - the typed kernel schedules, one struct per family -*- C++
//-*-===//
//
// The contract between the strategy (bert-tile, the schedule cache, bertc
// tune) and the mechanism (the backends' kernels): what a kernel of each
// family is told about its tiling. Each struct is defined once, here, with a
// table of its fields; the table drives everything that names a field:
//   - the IR attribute (#bert.gemm_schedule<rows = 8, ...>, BertAttrs.td
//     stores the struct itself and prints/parses it through the table);
//   - the schedule cache's JSON ("schedule": {"kind": "gemm", "rows": 8});
//   - the tuner's knobs (a knob names a field);
//   - the kernel key that names a compiled kernel in profiles.
// The strategy fills every field; kernels read them and invent nothing (a
// value a kernel cannot honour is an error, not a silent default).
//
// The header includes neither MLIR nor Halide: the Halide side of the CPU
// backend (built with RTTI and exceptions) reads the same structs as the
// MLIR side (built without).
//
//===----------------------------------------------------------------------===//

#ifndef BERT_DIALECT_SCHEDULES_H
#define BERT_DIALECT_SCHEDULES_H

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>

namespace bert {

/// One named integer field of a schedule struct.
template <typename S> struct ScheduleField {
  const char *name;
  int64_t S::*member;
};

/// Largest value any schedule field takes: well above any tile of a BERT
/// kernel, small enough that the kernels' int arithmetic cannot overflow.
inline constexpr int64_t kMaxScheduleValue = 1 << 20;

/// Register-tiled GEMM: linear (f32, and bf16 without AMX: VDPBF16PS over
/// k-pairs), pooler, batch_matmul. The output is computed in tiles of `rows`
/// rows x `cols` columns of accumulators (the packed weight panel is `cols`
/// wide, a multiple of `vector_width`), over the full depth K, its k loop
/// unrolled `k_unroll` times; one parallel task is `rows_per_task` rows (a
/// multiple of `rows`) of one panel, tasks panel-major.
struct GemmSchedule {
  int64_t rows = 0, cols = 0, kUnroll = 0, rowsPerTask = 0, vectorWidth = 0;
  static constexpr const char *kind = "gemm";
  static constexpr ScheduleField<GemmSchedule> fields[] = {
      {"rows", &GemmSchedule::rows},
      {"cols", &GemmSchedule::cols},
      {"k_unroll", &GemmSchedule::kUnroll},
      {"rows_per_task", &GemmSchedule::rowsPerTask},
      {"vector_width", &GemmSchedule::vectorWidth}};
};

/// bf16 linear on AMX: 16 x 16 fp32 accumulator tiles fed 32 k at a time
/// (fixed by the hardware); a task is a block of `rows_per_task` x
/// `cols_per_task` (multiples of 16). Calls with fewer than 16 rows take the
/// dot-product path over the same one-panel weights, with the register tile
/// `dot_rows` x `dot_cols`, `dot_k_unroll` and `dot_rows_per_task`.
struct AmxSchedule {
  int64_t rowsPerTask = 0, colsPerTask = 0, dotRows = 0, dotCols = 0,
          dotKUnroll = 0, dotRowsPerTask = 0, vectorWidth = 0;
  static constexpr const char *kind = "amx";
  static constexpr ScheduleField<AmxSchedule> fields[] = {
      {"rows_per_task", &AmxSchedule::rowsPerTask},
      {"cols_per_task", &AmxSchedule::colsPerTask},
      {"dot_rows", &AmxSchedule::dotRows},
      {"dot_cols", &AmxSchedule::dotCols},
      {"dot_k_unroll", &AmxSchedule::dotKUnroll},
      {"dot_rows_per_task", &AmxSchedule::dotRowsPerTask},
      {"vector_width", &AmxSchedule::vectorWidth}};
};

/// Flash attention: one task per (batch, head, block of `queries_per_task`
/// queries); keys in tiles of `key_tile` with an online softmax; vectors of
/// `vector_width` lanes over the head dimension. `queries_per_task` is a
/// multiple of the kernel's query register tile (vector_width, or twice it
/// when at least that many), `key_tile` of its key register tile (8 keys
/// with 16 lanes, else 4).
struct AttentionSchedule {
  int64_t queriesPerTask = 0, keyTile = 0, vectorWidth = 0;
  static constexpr const char *kind = "attention";
  static constexpr ScheduleField<AttentionSchedule> fields[] = {
      {"queries_per_task", &AttentionSchedule::queriesPerTask},
      {"key_tile", &AttentionSchedule::keyTile},
      {"vector_width", &AttentionSchedule::vectorWidth}};
};

/// Row-wise and elementwise kernels (layer norms, embeddings, softmax,
/// GELU, add): `rows_per_task` rows per parallel task, vectors of
/// `vector_width` lanes along the row.
struct RowSchedule {
  int64_t rowsPerTask = 0, vectorWidth = 0;
  static constexpr const char *kind = "row";
  static constexpr ScheduleField<RowSchedule> fields[] = {
      {"rows_per_task", &RowSchedule::rowsPerTask},
      {"vector_width", &RowSchedule::vectorWidth}};
};

/// Largest shared memory one CUDA block may use (the sm_80/sm_90 opt-in
/// maximum, 227 KiB); launches above the 48 KiB default opt in.
inline constexpr int64_t kMaxCudaSharedBytes = 227 * 1024;

/// A CUDA kernel's thread-block tile (every kernel of the CUDA backend).
/// GEMMs (linear, pooler, batch_matmul): one block computes `tile_m` x
/// `tile_n` outputs, walking K `tile_k` at a time through `stages` shared
/// memory buffers. Attention: one block takes `tile_m` queries of one
/// (sequence, head), keys `tile_n` at a time, `tile_k` the head dimension
/// it was chosen for. Row-wise kernels: a warp per row, `tile_m` rows per
/// block. `warps` warps per block; `smem_bytes` the dynamic shared memory a
/// launch requests (the kernel checks that its tiles fit); `vector_width`
/// elements per 128-bit access. `cublaslt` (0 or 1; linear only): the
/// product is cuBLASLt's (bertc --cuda-gemm=cublaslt) and the other fields
/// size the backend's own kernels around it (rounding X to the operand type,
/// the activation), which run a warp per row.
struct CudaSchedule {
  int64_t tileM = 0, tileN = 0, tileK = 0, stages = 0, warps = 0, smemBytes = 0,
          vectorWidth = 0, cublasLt = 0;
  static constexpr const char *kind = "cuda";
  static constexpr ScheduleField<CudaSchedule> fields[] = {
      {"tile_m", &CudaSchedule::tileM},
      {"tile_n", &CudaSchedule::tileN},
      {"tile_k", &CudaSchedule::tileK},
      {"stages", &CudaSchedule::stages},
      {"warps", &CudaSchedule::warps},
      {"smem_bytes", &CudaSchedule::smemBytes},
      {"vector_width", &CudaSchedule::vectorWidth},
      {"cublaslt", &CudaSchedule::cublasLt}};
};

/// Any schedule.
using KernelSchedule =
    std::variant<GemmSchedule, AmxSchedule, AttentionSchedule, RowSchedule,
                 CudaSchedule>;

template <typename S, typename = decltype(S::fields)>
bool operator==(const S &a, const S &b) {
  for (const auto &f : S::fields)
    if (a.*f.member != b.*f.member)
      return false;
  return true;
}

namespace detail {
/// "" when every field is in [1, kMaxScheduleValue] (the fields named in
/// `mayBeZero` in [0, ...]) and vector_width is a power of two, else the
/// first complaint.
template <typename S>
std::string checkRanges(const S &s,
                        std::initializer_list<std::string> mayBeZero = {}) {
  for (const auto &f : S::fields) {
    int64_t v = s.*f.member;
    int64_t least = 1;
    for (const std::string &name : mayBeZero)
      least = name == f.name ? 0 : least;
    if (v < least || v > kMaxScheduleValue)
      return std::string(f.name) + " must be in [" + std::to_string(least) +
             ", " + std::to_string(kMaxScheduleValue) + "], got " +
             std::to_string(v);
  }
  if (s.vectorWidth & (s.vectorWidth - 1))
    return "vector_width must be a power of two, got " +
           std::to_string(s.vectorWidth);
  return "";
}
inline std::string multipleOf(const char *what, int64_t v, const char *of,
                              int64_t m) {
  if (v % m == 0)
    return "";
  return std::string(what) + " (" + std::to_string(v) +
         ") must be a multiple of " + of + " (" + std::to_string(m) + ")";
}
} // namespace detail

/// Why `s` is not a valid schedule ("" when it is): every field in
/// [1, kMaxScheduleValue], vector widths powers of two, and the divisibility
/// each struct's comment states.
inline std::string verifySchedule(const GemmSchedule &s) {
  std::string e = detail::checkRanges(s);
  if (e.empty())
    e = detail::multipleOf("cols", s.cols, "vector_width", s.vectorWidth);
  if (e.empty())
    e = detail::multipleOf("rows_per_task", s.rowsPerTask, "rows", s.rows);
  return e;
}
inline std::string verifySchedule(const AmxSchedule &s) {
  std::string e = detail::checkRanges(s);
  if (e.empty())
    e = detail::multipleOf("rows_per_task", s.rowsPerTask, "the AMX tile", 16);
  if (e.empty())
    e = detail::multipleOf("cols_per_task", s.colsPerTask, "the AMX tile", 16);
  if (e.empty())
    e = detail::multipleOf("dot_cols", s.dotCols, "vector_width",
                           s.vectorWidth);
  if (e.empty())
    e = detail::multipleOf("dot_rows_per_task", s.dotRowsPerTask, "dot_rows",
                           s.dotRows);
  return e;
}
inline std::string verifySchedule(const AttentionSchedule &s) {
  return detail::checkRanges(s);
}
inline std::string verifySchedule(const RowSchedule &s) {
  return detail::checkRanges(s);
}
inline std::string verifySchedule(const CudaSchedule &s) {
  // Warp-per-row kernels use no shared memory; cublaslt is a flag.
  std::string e = detail::checkRanges(s, {"smem_bytes", "cublaslt"});
  if (e.empty() && s.cublasLt > 1)
    e = "cublaslt must be 0 (the backend's GEMM) or 1 (cuBLASLt), got " +
        std::to_string(s.cublasLt);
  // 1024 threads per block on every SM since sm_20.
  if (e.empty() && s.warps > 32)
    e = "warps must be at most 32 (1024 threads per block), got " +
        std::to_string(s.warps);
  if (e.empty() && s.smemBytes > kMaxCudaSharedBytes)
    e = "smem_bytes must be at most " + std::to_string(kMaxCudaSharedBytes) +
        " (227 KiB per block), got " + std::to_string(s.smemBytes);
  // Deeper pipelines than this only cost shared memory on sm_80/sm_90.
  if (e.empty() && s.stages > 8)
    e = "stages must be at most 8, got " + std::to_string(s.stages);
  if (e.empty() && s.vectorWidth > 8)
    e = "vector_width must be at most 8 (a 128-bit access of 16-bit "
        "elements), got " +
        std::to_string(s.vectorWidth);
  return e;
}
inline std::string verifySchedule(const KernelSchedule &s) {
  return std::visit([](const auto &v) { return verifySchedule(v); }, s);
}

/// "rows=8 cols=48 k_unroll=4 ..." (kernel keys, tuner logs).
template <typename S> std::string describeSchedule(const S &s) {
  std::string out;
  for (const auto &f : S::fields)
    out += (out.empty() ? "" : " ") + std::string(f.name) + "=" +
           std::to_string(s.*f.member);
  return out;
}
inline std::string describeSchedule(const KernelSchedule &s) {
  return std::visit([](const auto &v) { return describeSchedule(v); }, s);
}

/// "rows, cols, k_unroll, ..." (messages).
inline std::string scheduleFieldNames(const KernelSchedule &s) {
  return std::visit(
      [](const auto &v) {
        std::string out;
        for (const auto &f : std::decay_t<decltype(v)>::fields)
          out += (out.empty() ? "" : ", ") + std::string(f.name);
        return out;
      },
      s);
}

/// The field `name` of `s`, or null.
template <typename S> int64_t *scheduleField(S &s, const std::string &name) {
  for (const auto &f : S::fields)
    if (name == f.name)
      return &(s.*f.member);
  return nullptr;
}
inline int64_t *scheduleField(KernelSchedule &s, const std::string &name) {
  return std::visit([&](auto &v) { return scheduleField(v, name); }, s);
}

inline const char *scheduleKind(const KernelSchedule &s) {
  return std::visit([](const auto &v) { return v.kind; }, s);
}

/// A schedule of kind `kind` ("gemm", ...) with every field 0, or
/// std::nullopt for an unknown kind.
inline std::optional<KernelSchedule>
emptyScheduleOfKind(const std::string &kind) {
  for (KernelSchedule s :
       {KernelSchedule(GemmSchedule()), KernelSchedule(AmxSchedule()),
        KernelSchedule(AttentionSchedule()), KernelSchedule(RowSchedule()),
        KernelSchedule(CudaSchedule())})
    if (kind == scheduleKind(s))
      return s;
  return std::nullopt;
}

/// The kinds, for messages.
inline constexpr const char *kScheduleKindList =
    "gemm, amx, attention, row, cuda";

} // namespace bert

#endif // BERT_DIALECT_SCHEDULES_H
