// GPU schedules. A builder defines its algorithm and applies its CPU
// schedule; on a GPU target KernelBuilder then clears every schedule in the
// pipeline and applies the generic GPU schedule below, unless the builder
// marked the kernel as scheduled for the GPU itself (GpuPlan::scheduled).
//
// The generic schedule: the output and every Func with update definitions
// (reductions, which cannot be inlined) are computed at root, each stage
// tiled over its pure dimensions: threads over a tile of the innermost one
// or two, blocks over the tiles and all outer dimensions. Reductions over
// RDoms run serially within a thread. Everything else is inlined.
#include "OpBuilders.h"

#include <algorithm>
#include <set>

namespace hmc::halide {

using Halide::DeviceAPI;
using Halide::TailStrategy;
using Halide::Var;
using Halide::Internal::Definition;
using Halide::Internal::DimType;
using HalideDim = Halide::Internal::Dim;
using Halide::Internal::ForType;
using Halide::Internal::Function;

namespace {

/// Names of the pure variables of one definition, in argument (Halide
/// dimension) order: the arguments that are the Function's own pure
/// variable at their position.
std::vector<std::string> pureVars(const Function &function,
                                  const Definition &def) {
  std::vector<std::string> names;
  const std::vector<std::string> &args = function.args();
  for (size_t i = 0; i < def.args().size() && i < args.size(); ++i) {
    const auto *var = def.args()[i].as<Halide::Internal::Variable>();
    if (var && !var->param.defined() && !var->reduction_domain.defined() &&
        var->name == args[i])
      names.push_back(var->name);
  }
  return names;
}

/// Back to the schedule Halide gives a new definition: RVars innermost,
/// then the pure variables, no splits, serial loops.
void resetStage(const Function &function, Definition &def) {
  Halide::Internal::StageSchedule &schedule = def.schedule();
  schedule.splits().clear();
  schedule.prefetches().clear();
  schedule.fused_pairs().clear();
  schedule.fuse_level() = Halide::FuseLoopLevel();
  schedule.allow_race_conditions() = false;
  schedule.atomic() = false;
  schedule.override_atomic_associativity_test() = false;
  std::vector<HalideDim> dims;
  for (const Halide::Internal::ReductionVariable &rvar : schedule.rvars())
    dims.push_back(
        {rvar.var, ForType::Serial, DeviceAPI::None, DimType::ImpureRVar});
  for (const std::string &name : pureVars(function, def))
    dims.push_back({name, ForType::Serial, DeviceAPI::None, DimType::PureVar});
  dims.push_back({Var::outermost().name(), ForType::Serial, DeviceAPI::None,
                  DimType::PureVar});
  schedule.dims() = std::move(dims);
  def.specializations().clear();
}

void resetFunction(Function function) {
  Halide::Internal::FuncSchedule &schedule = function.schedule();
  schedule.compute_level() = Halide::LoopLevel::inlined();
  schedule.store_level() = Halide::LoopLevel::inlined();
  schedule.bounds().clear();
  schedule.wrappers().clear();
  schedule.memoized() = false;
  schedule.async() = false;
  schedule.memory_type() = Halide::MemoryType::Auto;
  std::vector<Halide::Internal::StorageDim> storage;
  for (const std::string &arg : function.args())
    storage.push_back({arg, Halide::Expr(), Halide::Expr(), Halide::Expr(),
                       /*fold_forward=*/true});
  schedule.storage_dims() = std::move(storage);
  resetStage(function, function.definition());
  for (size_t i = 0; i < function.updates().size(); ++i)
    resetStage(function, function.update(static_cast<int>(i)));
}

int powerOfTwoAtLeast(int value) {
  int power = 1;
  while (power < value)
    power *= 2;
  return power;
}

} // namespace

Halide::Var gpuTile(const GpuPlan &plan, Halide::Stage stage,
                    const std::vector<Halide::Var> &vars, int threadsX,
                    int threadsY, int tile, TailStrategy tail) {
  if (vars.empty()) {
    if (!plan.onHost)
      stage.gpu_single_thread();
    return Var::outermost();
  }
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  if (vars.size() == 1) {
    int threads = threadsX * threadsY;
    if (plan.onHost)
      stage.split(vars[0], xo, xi, threads, tail);
    else
      stage.gpu_tile(vars[0], xo, xi, threads, tail);
    return xi;
  }
  int perThread = std::max(tile, 1);
  stage.tile(vars[0], vars[1], xo, yo, xi, yi, threadsX * perThread,
             threadsY * perThread, tail);
  Var thread = xi, threadY = yi;
  if (tile > 0) {
    // Tiles divide the block.
    thread = Var("xt");
    threadY = Var("yt");
    Var xr("xr"), yr("yr");
    stage
        .tile(xi, yi, thread, threadY, xr, yr, tile, tile,
              TailStrategy::RoundUp)
        .unroll(xr)
        .unroll(yr);
  }
  // The tiles along vars[1] and every outer dimension fused are the x
  // blocks (up to 2^31 - 1 of them; y and z allow only 65535), the tiles
  // along vars[0] the y blocks.
  Var outer = yo;
  for (size_t k = 2; k < vars.size(); ++k) {
    Var fused;
    stage.fuse(outer, vars[k], fused);
    outer = fused;
  }
  stage.reorder(thread, threadY, outer, xo);
  if (!plan.onHost)
    stage.gpu_threads(thread, threadY).gpu_blocks(outer, xo);
  return thread;
}

Halide::Var gpuRegisterTile(const OpContext &ctx, Halide::Func func,
                            const std::vector<Halide::Var> &vars,
                            const Halide::Expr &outputs, bool isOutput) {
  const GpuPlan &plan = *ctx.gpu;
  auto threadsX = [](int tile) { return tile == 1 ? 32 : 16; };
  constexpr int kThreadsY = 8;
  auto schedule = [&](Halide::Stage stage, int tile, TailStrategy tail) {
    return gpuTile(plan, stage, vars, threadsX(tile), kThreadsY, tile, tail);
  };
  if (vars.size() < 2)
    return schedule(func, 1, TailStrategy::GuardWithIf);
  // About four blocks of 128 threads per SM of a large GPU (132 SMs).
  constexpr int64_t kBlocks = 4 * 132;
  Halide::Expr count =
      Halide::Internal::simplify(Halide::cast<int64_t>(outputs));
  // The first choice that holds; with a static count the simplifier decides.
  std::vector<std::pair<Halide::Expr, int>> choices;
  if (int fixed = ctx.knob("thread_tile_log2", -1, 0, 2); fixed >= 0)
    choices = {{Halide::Internal::const_true(), 1 << fixed}};
  else
    choices = {{count >= Halide::Expr(kBlocks * 2048), 4},
               {count >= Halide::Expr(kBlocks * 512), 2},
               {Halide::Internal::const_true(), 1}};
  // Every specialization names its thread var alike, so producers computed
  // at it find it in each. An intermediate computes whole blocks past its
  // end (RoundUp). An output's last block shifts inwards where the output
  // is at least a block: the tile keeps a constant extent, so its
  // accumulators stay in registers (behind GuardWithIf's guards Halide sizes
  // them at run time and moves them to global memory). Smaller outputs keep
  // the guards.
  auto fits = [&](int tile) {
    if (!isOutput)
      return Halide::Internal::const_true();
    return func.output_buffer().dim(0).extent() >= threadsX(tile) * tile &&
           func.output_buffer().dim(1).extent() >= kThreadsY * tile;
  };
  TailStrategy tail =
      isOutput ? TailStrategy::ShiftInwards : TailStrategy::RoundUp;
  for (const auto &[condition, tile] : choices) {
    Halide::Expr holds = Halide::Internal::simplify(condition && fits(tile));
    if (Halide::Internal::is_const_one(holds))
      return schedule(func, tile, tail);
    if (!Halide::Internal::is_const_zero(holds))
      schedule(func.specialize(holds), tile, tail);
  }
  return schedule(func, 1, TailStrategy::GuardWithIf);
}

void gpuAccumulateTile(Halide::Func acc, const std::vector<Halide::Var> &vars) {
  acc.unroll(vars[0]).unroll(vars[1]);
  for (int i = 0; i < acc.num_update_definitions(); ++i) {
    std::vector<Halide::VarOrRVar> order = {vars[0], vars[1]};
    for (const Halide::Internal::ReductionVariable &rvar :
         acc.function().update(i).schedule().rvars())
      order.emplace_back(Halide::RVar(rvar.var));
    acc.update(i).reorder(order).unroll(vars[0]).unroll(vars[1]);
  }
}

std::pair<int, int> gpuThreads(const std::vector<Halide::Expr> &extents) {
  constexpr int kThreads = 256;
  if (extents.empty())
    return {1, 1};
  std::optional<int> inner = staticExtent(extents[0]);
  int x = inner ? std::clamp(powerOfTwoAtLeast(*inner), 1, 32) : 32;
  if (extents.size() == 1)
    return {x, kThreads / x};
  std::optional<int> outer = staticExtent(extents[1]);
  int y = kThreads / x;
  if (outer)
    y = std::clamp(powerOfTwoAtLeast(*outer), 1, y);
  return {x, y};
}

void scheduleGpuPipeline(const OpContext &ctx, Halide::Func out,
                         const GpuHints &hints) {
  const GpuPlan &plan = *ctx.gpu;
  std::map<std::string, Function> functions =
      Halide::Internal::find_transitive_calls(out.function());
  // find_transitive_calls includes `out` itself.
  for (auto &[name, function] : functions)
    resetFunction(function);
  std::set<std::string> roots;
  for (const Halide::Func &func : hints.roots)
    roots.insert(func.name());
  std::map<std::string, std::vector<Halide::Func>> perThread; // by consumer
  std::set<std::string> perThreadNames;
  std::vector<std::pair<Halide::Func, Halide::Func>> pairs = hints.perThread;
  // out(vars) = acc(vars), acc a reduction: acc in registers per thread.
  const Definition &def = out.function().definition();
  if (def.values().size() == 1)
    if (const auto *call = def.values()[0].as<Halide::Internal::Call>();
        call && call->call_type == Halide::Internal::Call::Halide &&
        call->func.defined()) {
      Function callee(call->func);
      bool same = callee.has_update_definition() &&
                  call->args.size() == out.function().args().size();
      for (size_t i = 0; same && i < call->args.size(); ++i) {
        const auto *var = call->args[i].as<Halide::Internal::Variable>();
        same = var && var->name == out.function().args()[i];
      }
      if (same)
        pairs.emplace_back(Halide::Func(callee), out);
    }
  for (const auto &[func, consumer] : pairs) {
    perThread[consumer.name()].push_back(func);
    perThreadNames.insert(func.name());
    roots.insert(consumer.name());
  }
  for (auto &[name, function] : functions) {
    bool isOutput = name == out.name();
    if (perThreadNames.count(name) ||
        (!isOutput && !function.has_update_definition() && !roots.count(name)))
      continue;
    Halide::Func func(function);
    if (!isOutput)
      func.compute_root();
    std::pair<int, int> threads = {32, 8};
    if (isOutput)
      threads = gpuThreads(ctx.outputExtents);
    auto vars = [&](const Definition &def) {
      std::vector<Var> result;
      for (const std::string &var : pureVars(function, def))
        result.emplace_back(var);
      return result;
    };
    std::vector<Var> pure = vars(function.definition());
    auto outputs = hints.outputs.find(name);
    bool tiled = outputs != hints.outputs.end() && pure.size() >= 2;
    Var thread =
        tiled ? gpuRegisterTile(ctx, func, pure, outputs->second, isOutput)
              : gpuTile(plan, func, pure, threads.first, threads.second);
    for (size_t i = 0; i < function.updates().size(); ++i)
      gpuTile(plan, func.update(static_cast<int>(i)),
              vars(function.update(static_cast<int>(i))), threads.first,
              threads.second);
    // Per-thread producers: computed in the consumer's pure stage, the
    // thread's element or tile in registers.
    for (Halide::Func producer : perThread[name])
      if (functions.count(producer.name())) {
        producer.compute_at(func, thread);
        if (tiled)
          gpuAccumulateTile(producer, pure);
      }
  }
}

} // namespace hmc::halide
