// core/autograd.cpp — the autograd engine (see autograd.hpp for the contract).
// What it is not: any op's mathematics — every value and every VJP comes from the registry.
#include "core/autograd.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

namespace vt::autograd {

/// One recorded op application: the implementation, its call (the saved tensors), the input
/// variables that need a gradient, and the versions of every variable whose value it saved.
/// A VJP node (grad() with create_graph) records one op's VJP F(x, v) instead: its outputs are
/// the gradients g_i (forward input i's shape), its inputs the forward inputs x then the
/// output gradients v, and its backward is the op's double backward.
struct Node {
  const Implementation* impl = nullptr;
  bool is_vjp = false;
  OpCall call;                      // inputs in the compute dtype, attrs, outputs as computed
  std::vector<Tensor> vjp_v;        // VJP nodes: the output gradients v (compute dtype)
  DType compute = DType::f64;       // dtype of the BackwardCall's grad tensors
  std::vector<Shape> input_shapes;  // the forward's inputs
  std::vector<Shape> output_shapes;
  std::vector<DType> output_dtypes;
  std::vector<std::shared_ptr<VariableImpl>> inputs;  // null where no gradient is needed
  struct Saved {
    std::shared_ptr<std::uint64_t> counter;
    std::uint64_t version = 0;
  };
  std::vector<Saved> saved;  // every input and output variable
  bool freed = false;
  // Scratch of one backward pass, empty between passes (run_backward's guard): the gradients of
  // the outputs gathered so far, and topological_order's visit mark.
  std::vector<Variable> pending;
  std::uint64_t visit = 0;
};

struct VariableImpl {
  Tensor value;
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  std::size_t output_index = 0;
  std::shared_ptr<std::uint64_t> version = std::make_shared<std::uint64_t>(0);
  std::int64_t pass_slot = -1;  // index in run_backward's list of reached leaves; -1 between passes
};

namespace {

thread_local bool g_grad_enabled = true;
thread_local const AccumulateVariant* g_accumulate = nullptr;  // null: accumulate_grad

std::vector<AccumulateVariant>& variants() {
  static std::vector<AccumulateVariant> v;
  return v;
}

VariableImpl& checked(const std::shared_ptr<VariableImpl>& p) {
  if (!p) throw Error("autograd", {}, "use of an undefined Variable");
  return *p;
}

int width(DType t) {
  switch (t) {
    case DType::f32:
      return 1;
    case DType::f64:
      return 2;
    case DType::hp:
      return 3;
    default:
      return 0;
  }
}

/// acc[i] = fl_A(acc[i] + c[i]) over contiguous buffers of one shape; A the acc's type, C the
/// contribution's. Same type: one native add. Otherwise the sum is formed in float128 (one
/// rounding there, none when both are float32/float64 of nearby exponents) and rounded to A;
/// 113 ≥ 2p + 2 makes that double rounding innocuous (Figueroa 1995): correctly rounded.
template <class A, class C>
void add_into(A* acc, const C* c, std::int64_t n) {
  if constexpr (std::is_same_v<A, C>) {
    for (std::int64_t i = 0; i < n; ++i) acc[i] = acc[i] + c[i];
  } else {
    for (std::int64_t i = 0; i < n; ++i) acc[i] = static_cast<A>(hp_t(acc[i]) + hp_t(c[i]));
  }
}

std::vector<Shape> shapes_of(const std::vector<Variable>& vs) {
  std::vector<Shape> s;
  for (const Variable& v : vs) s.push_back(v.defined() ? v.shape() : Shape{});
  return s;
}

Tensor ones_like_shape(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  t.copy_from(Tensor::from<double>({}, {1.0}));
  return t;
}

// ---- backward ------------------------------------------------------------------------------

/// Nodes reachable from root through inputs that need a gradient, outputs before inputs.
std::vector<Node*> topological_order(Node* root) {
  // Visit marks on the nodes instead of a hash set: a fresh mark per traversal.
  static std::atomic<std::uint64_t> traversals{0};
  const std::uint64_t mark = ++traversals;
  std::vector<Node*> post;
  root->visit = mark;
  struct Frame {
    Node* node;
    std::size_t next;
  };
  std::vector<Frame> stack{{root, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next < f.node->inputs.size()) {
      const std::shared_ptr<VariableImpl>& in = f.node->inputs[f.next++];
      if (in && in->grad_fn && in->grad_fn->visit != mark) {
        in->grad_fn->visit = mark;
        stack.push_back({in->grad_fn.get(), 0});
      }
      continue;
    }
    post.push_back(f.node);
    stack.pop_back();
  }
  std::reverse(post.begin(), post.end());
  return post;
}

/// Everything that would make the pass fail, checked before any VJP runs.
void check_node(const Node& n, bool create_graph) {
  if (n.freed)
    throw Error(n.impl->op, n.input_shapes,
                "graph already freed: call backward(retain_graph=true) the first time");
  if (!n.is_vjp && !n.impl->backward)
    throw Error(n.impl->op, n.input_shapes,
                "no VJP registered for " + n.impl->backend + "/" + n.impl->variant);
  if (n.is_vjp && !n.impl->double_backward)
    throw Error(n.impl->op, n.input_shapes,
                "no second-order VJP (double backward) registered for " + n.impl->backend + "/" +
                    n.impl->variant + ": its gradient cannot be differentiated again");
  if (n.is_vjp && create_graph)
    throw Error(n.impl->op, n.input_shapes,
                "third-order derivatives are not supported (create_graph through a gradient "
                "that was itself computed with create_graph)");
  for (const Node::Saved& s : n.saved)
    if (*s.counter != s.version)
      throw Error(n.impl->op, n.input_shapes,
                  "a variable saved for backward was modified by assign() after it was used "
                  "(version " +
                      std::to_string(*s.counter) + ", recorded " + std::to_string(s.version) +
                      "); recompute the forward after the assignment");
}

/// A variable that is not part of any graph (a gradient value in a pass without create_graph).
Variable constant(Tensor t) { return Variable(std::move(t), false); }

/// Adds a contribution into a pending gradient. Without create_graph both are private buffers:
/// the pending one is widened to the contribution's dtype first (float128 contributions are not
/// rounded between additions) and added into in place. With it, the sum is an `add` of the
/// node's backend, recorded like any op so that it is differentiated too.
void add_pending(Variable& pending, const Variable& contribution, bool create_graph,
                 const Backend& be) {
  if (!pending.defined()) {
    pending = contribution;
    return;
  }
  if (create_graph) {
    pending = add(pending, contribution, be);
    return;
  }
  Tensor& acc = pending.impl()->value;
  if (width(contribution.dtype()) > width(acc.dtype())) acc = acc.to(contribution.dtype());
  (g_accumulate ? g_accumulate->fn : accumulate_grad)(acc, contribution.value());
}

/// Node n's backward: one contribution per entry of n.inputs (undefined where it is null) from
/// the gradients of its outputs. With create_graph, the VJP of a first-order node is recorded as
/// a VJP node, so its results can be differentiated again.
std::vector<Variable> node_backward(Node& n, std::vector<Variable>& g_out, bool create_graph) {
  g_out.resize(n.output_shapes.size());
  std::vector<Tensor> g;
  g.reserve(g_out.size());
  for (std::size_t o = 0; o < g_out.size(); ++o) {
    if (!is_float(n.output_dtypes[o])) {
      g.emplace_back();  // undefined: zero (integer outputs carry no gradient)
    } else if (!g_out[o].defined()) {
      g.push_back(Tensor::empty(n.output_shapes[o], n.compute));  // zeros
    } else {
      const Tensor& t = g_out[o].value();
      g.push_back(t.dtype() == n.compute ? t : t.to(n.compute));
    }
  }
  std::vector<Tensor> contrib;
  contrib.reserve(n.inputs.size());
  for (std::size_t i = 0; i < n.inputs.size(); ++i) {
    const Shape& shape = n.is_vjp && i >= n.input_shapes.size()
                             ? n.call.outputs[i - n.input_shapes.size()].shape()
                             : n.input_shapes[i];
    // VJPs write every element of their grad_inputs (BackwardCall; gradcheck's canaries).
    contrib.push_back(n.inputs[i] ? Tensor::uninitialized(shape, n.compute) : Tensor());
  }
  if (!n.is_vjp) {
    BackwardCall bc{&n.call, std::move(g), std::move(contrib)};
    n.impl->backward(bc);
    g = std::move(bc.grad_outputs);  // back: with create_graph the VJP node below keeps v
    contrib = std::move(bc.grad_inputs);
  } else {
    const auto mid = contrib.begin() + std::ptrdiff_t(n.input_shapes.size());
    DoubleBackwardCall dc{&n.call, n.vjp_v, g, std::vector<Tensor>(contrib.begin(), mid),
                          std::vector<Tensor>(mid, contrib.end())};
    n.impl->double_backward(dc);
  }

  std::vector<Variable> out(contrib.size());
  if (!create_graph || !g_grad_enabled) {
    for (std::size_t i = 0; i < contrib.size(); ++i)
      if (contrib[i].defined()) out[i] = constant(contrib[i]);
    return out;
  }
  auto vn = std::make_shared<Node>();
  vn->impl = n.impl;
  vn->is_vjp = true;
  vn->call = n.call;  // shares the saved tensors
  vn->vjp_v = g;
  vn->compute = n.compute;
  vn->input_shapes = n.input_shapes;
  vn->output_shapes = n.input_shapes;
  vn->output_dtypes.assign(n.input_shapes.size(), n.compute);
  vn->inputs = n.inputs;  // ∂/∂x where x needs a gradient
  vn->saved = n.saved;
  for (std::size_t o = 0; o < g_out.size(); ++o) {
    const bool needs =
        g_out[o].defined() && g_out[o].requires_grad() && is_float(n.output_dtypes[o]);
    vn->inputs.push_back(needs ? g_out[o].impl() : nullptr);
    if (needs) vn->saved.push_back({g_out[o].impl()->version, *g_out[o].impl()->version});
  }
  for (std::size_t i = 0; i < contrib.size(); ++i) {
    if (!contrib[i].defined()) continue;
    auto v = std::make_shared<VariableImpl>();
    v->value = contrib[i];
    v->grad_fn = vn;
    v->output_index = i;
    v->requires_grad = true;
    out[i] = Variable(std::move(v));
  }
  return out;
}

/// The shared traversal of backward() and grad(). Returns the total gradient of each target
/// (grad(): targets given, leaves' grad() untouched) or, with no targets, adds the pass's total
/// into every reached leaf's grad() (backward()).
std::vector<Variable> run_backward(VariableImpl& root, const Tensor& grad_output, bool retain_graph,
                                   bool create_graph, const std::vector<Variable>* targets) {
  if (!root.requires_grad)
    throw Error("backward", {root.value.shape()},
                "the variable does not require grad (no input of its computation requires "
                "grad, or it was computed in a NoGradGuard)");
  Tensor seed;
  if (!grad_output.defined()) {
    if (root.value.numel() != 1)
      throw Error("backward", {root.value.shape()},
                  "an implicit gradient needs a one-element variable; pass grad_output");
    seed = ones_like_shape(root.value.shape(), root.value.dtype());
  } else {
    if (grad_output.shape() != root.value.shape())
      throw Error("backward", {root.value.shape(), grad_output.shape()},
                  "grad_output must have the variable's shape");
    if (!is_float(grad_output.dtype()))
      throw Error("backward", {grad_output.shape()}, "grad_output must have a float dtype");
    seed = grad_output.clone();  // fresh: accumulation may write into it
  }

  // Targets that are outputs of a node: their gradient is complete when that node is reached.
  std::unordered_map<VariableImpl*, Variable> target_grads;
  std::unordered_set<VariableImpl*> wanted;
  if (targets)
    for (const Variable& t : *targets) {
      if (!t.defined()) throw Error("grad", {}, "an input Variable is undefined");
      wanted.insert(t.impl().get());
    }

  // The pass's pending gradients live on the nodes (Node::pending) and in `leaves` (found
  // through VariableImpl::pass_slot), not in hash maps: this loop is the engine's fixed cost
  // per op. The guard empties them however the pass ends, so the next pass starts clean.
  std::vector<std::pair<VariableImpl*, Variable>> leaves;  // in first-reached order
  std::vector<Node*> order;
  struct Cleanup {
    std::vector<std::pair<VariableImpl*, Variable>>& leaves;
    std::vector<Node*>& order;
    ~Cleanup() {
      for (auto& [v, g] : leaves) v->pass_slot = -1;
      for (Node* n : order) n->pending.clear();
    }
  } cleanup{leaves, order};
  const Backend root_backend = root.grad_fn ? Backend{root.grad_fn->impl->backend, ""} : Backend{};
  auto to_leaf = [&](VariableImpl* v, const Variable& g, const Backend& be) {
    if (targets && !wanted.count(v)) return;
    if (v->pass_slot < 0) {
      v->pass_slot = static_cast<std::int64_t>(leaves.size());
      leaves.emplace_back(v, Variable());
    }
    add_pending(leaves[static_cast<std::size_t>(v->pass_slot)].second, g, create_graph, be);
  };

  if (root.grad_fn) {
    order = topological_order(root.grad_fn.get());
    for (const Node* n : order) check_node(*n, create_graph);
  }
  if (root.grad_fn) {
    std::vector<Variable>& p = root.grad_fn->pending;
    p.resize(root.grad_fn->output_shapes.size());
    p[root.output_index] = constant(seed);
  } else {
    to_leaf(&root, constant(seed), root_backend);
  }

  for (Node* n : order) {
    std::vector<Variable> g_out = std::move(n->pending);
    n->pending.clear();
    if (targets) {
      // A target computed by this node: its gradient is complete now.
      for (const Variable& t : *targets)
        if (t.impl()->grad_fn.get() == n && t.impl()->output_index < g_out.size())
          target_grads[t.impl().get()] = g_out[t.impl()->output_index];
    }
    const Backend be{n->impl->backend, ""};
    std::vector<Variable> contrib = node_backward(*n, g_out, create_graph);
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      VariableImpl* in = n->inputs[i].get();
      if (!in) continue;
      if (in->grad_fn) {
        std::vector<Variable>& p = in->grad_fn->pending;
        p.resize(in->grad_fn->output_shapes.size());
        add_pending(p[in->output_index], contrib[i], create_graph, be);
      } else {
        to_leaf(in, contrib[i], be);
      }
    }
    if (!retain_graph) {
      n->call.inputs.clear();
      n->call.outputs.clear();
      n->call.inputs.shrink_to_fit();
      n->call.outputs.shrink_to_fit();
      n->vjp_v.clear();
      n->freed = true;
    }
  }

  if (targets) {
    std::vector<Variable> result;
    for (const Variable& t : *targets) {
      VariableImpl* v = t.impl().get();
      if (v->pass_slot >= 0)
        result.push_back(leaves[static_cast<std::size_t>(v->pass_slot)].second);
      else if (auto jt = target_grads.find(v); jt != target_grads.end())
        result.push_back(jt->second);
      else if (v == &root && !root.grad_fn)
        result.push_back(constant(seed));
      else
        result.emplace_back();  // not reached: no gradient
    }
    return result;
  }
  for (auto& [v, pending_grad] : leaves) {
    const Tensor& g = pending_grad.value();
    if (!v->grad.defined())
      v->grad = g.dtype() == v->value.dtype() ? g : g.to(v->value.dtype());
    else
      accumulate_grad(v->grad, g);
  }
  return {};
}

// ---- shapes for the convenience functions ---------------------------------------------------

Shape matmul_result_shape(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    throw Error("matmul", {a, b}, "operands must have at least one dimension (np.matmul)");
  const std::int64_t ka = a.back();
  const std::int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (ka != kb)
    throw Error(
        "matmul", {a, b},
        "contraction dimensions differ: " + std::to_string(ka) + " vs " + std::to_string(kb));
  const Shape batch_a(a.begin(), a.end() - std::min<std::ptrdiff_t>(2, std::ssize(a)));
  const Shape batch_b(b.begin(), b.end() - std::min<std::ptrdiff_t>(2, std::ssize(b)));
  Shape out = broadcast_shapes({batch_a, batch_b}, "matmul");
  if (a.size() >= 2) out.push_back(a[a.size() - 2]);
  if (b.size() >= 2) out.push_back(b.back());
  return out;
}

Variable unary(const char* op, const Variable& x, const Backend& be) {
  return apply(op, {x}, {}, {{x.shape(), std::nullopt}}, be).at(0);
}

Variable binary(const char* op, const Variable& a, const Variable& b, const Backend& be) {
  const Shape s = broadcast_shapes({a.shape(), b.shape()}, op);
  return apply(op, {a, b}, {}, {{s, std::nullopt}}, be).at(0);
}

Variable reduction(const char* op, const Variable& x, const std::vector<std::int64_t>& axes,
                   bool keepdims, const Backend& be) {
  const std::vector<std::int64_t> norm = normalize_axes(axes, x.value().ndim(), op);
  Attrs attrs{{"axis", axes}, {"keepdims", keepdims}};
  return apply(op, {x}, attrs, {{reduced_shape(x.shape(), norm, keepdims), std::nullopt}}, be)
      .at(0);
}

}  // namespace

// ---- Variable ------------------------------------------------------------------------------

Variable::Variable(Tensor value, bool requires_grad) : impl_(std::make_shared<VariableImpl>()) {
  if (!value.defined()) throw Error("autograd", {}, "a Variable needs a defined value");
  impl_->value = std::move(value);
  set_requires_grad(requires_grad);
}

const Tensor& Variable::value() const { return checked(impl_).value; }
bool Variable::requires_grad() const { return checked(impl_).requires_grad; }
bool Variable::is_leaf() const { return checked(impl_).grad_fn == nullptr; }
const Tensor& Variable::grad() const { return checked(impl_).grad; }
std::uint64_t Variable::version() const { return *checked(impl_).version; }

void Variable::set_requires_grad(bool on) {
  VariableImpl& v = checked(impl_);
  if (v.grad_fn)
    throw Error("autograd", {v.value.shape()},
                "requires_grad can only be set on a leaf (use detach() for a new leaf)");
  if (on && !is_float(v.value.dtype()))
    throw Error(
        "autograd", {v.value.shape()},
        "only float variables can require grad, not " + std::string(dtype_name(v.value.dtype())));
  v.requires_grad = on;
}

void Variable::zero_grad() {
  VariableImpl& v = checked(impl_);
  if (!v.grad.defined()) return;
  if (v.grad.is_contiguous())  // +0 is all bits zero in every float dtype: one memset
    std::memset(v.grad.raw(), 0,
                static_cast<std::size_t>(v.grad.numel()) * itemsize(v.grad.dtype()));
  else
    v.grad.copy_from(Tensor::empty({}, v.grad.dtype()));
}

Variable Variable::detach() const {
  const VariableImpl& v = checked(impl_);
  auto d = std::make_shared<VariableImpl>();
  d->value = v.value;
  d->version = v.version;  // same storage, same counter
  return Variable(std::move(d));
}

void Variable::assign(const Tensor& src) {
  VariableImpl& v = checked(impl_);
  v.value.copy_from(src);
  ++*v.version;
}

void Variable::backward(const Tensor& grad_output, bool retain_graph) const {
  run_backward(checked(impl_), grad_output, retain_graph, false, nullptr);
}

std::vector<Variable> grad(const Variable& output, const std::vector<Variable>& inputs,
                           const Tensor& grad_output, bool create_graph,
                           std::optional<bool> retain_graph) {
  return run_backward(checked(output.impl()), grad_output, retain_graph.value_or(create_graph),
                      create_graph, &inputs);
}

void zero_grad(const std::vector<Variable>& vars) {
  for (Variable v : vars) v.zero_grad();
}

void register_accumulate_variant(AccumulateVariant v) { variants().push_back(std::move(v)); }
const std::vector<AccumulateVariant>& accumulate_variants() { return variants(); }
AccumulateVariantScope::AccumulateVariantScope(const AccumulateVariant* v)
    : previous_(g_accumulate) {
  g_accumulate = v;
}
AccumulateVariantScope::~AccumulateVariantScope() { g_accumulate = previous_; }

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

// ---- accumulation --------------------------------------------------------------------------

void accumulate_grad(Tensor& acc, const Tensor& contribution) {
  if (!acc.defined()) {
    acc = contribution;
    return;
  }
  if (acc.shape() != contribution.shape())
    throw Error("autograd", {acc.shape(), contribution.shape()},
                "gradient contribution has the wrong shape");
  if (!acc.is_contiguous()) acc = acc.contiguous();
  const Tensor c = contribution.contiguous();
  dispatch_float(acc.dtype(), [&](auto a) {
    using A = decltype(a);
    dispatch_float(c.dtype(), [&](auto cc) {
      using C = decltype(cc);
      add_into(acc.data<A>(), c.data<C>(), acc.numel());
    });
  });
}

// ---- apply ---------------------------------------------------------------------------------

std::vector<Variable> apply(const std::string& op, const std::vector<Variable>& inputs,
                            const Attrs& attrs, const std::vector<OutputDesc>& outputs,
                            const Backend& be) {
  const std::vector<Shape> in_shapes = shapes_of(inputs);
  for (const Variable& v : inputs)
    if (!v.defined()) throw Error(op, in_shapes, "undefined input Variable");
  const Implementation* impl = Registry::instance().find(op, be.name, be.variant);
  if (!impl)
    throw Error(op, in_shapes,
                "no implementation " + be.name + (be.variant.empty() ? "" : "/" + be.variant));

  const bool reference = be.name == backend::reference;
  std::optional<DType> compute;
  if (reference) compute = DType::hp;
  for (const Variable& v : inputs) {
    if (reference || !is_float(v.dtype())) continue;
    if (compute && *compute != v.dtype())
      throw Error(op, in_shapes,
                  "float inputs of different dtypes (" + std::string(dtype_name(*compute)) + ", " +
                      std::string(dtype_name(v.dtype())) + "): cast one first");
    compute = v.dtype();
  }
  if (compute &&
      std::find(impl->dtypes.begin(), impl->dtypes.end(), *compute) == impl->dtypes.end())
    throw Error(op, in_shapes,
                be.name + "/" + impl->variant + " does not compute in " +
                    std::string(dtype_name(*compute)));

  OpCall call;
  call.inputs.reserve(inputs.size());
  call.outputs.reserve(outputs.size());
  for (const Variable& v : inputs)
    call.inputs.push_back(reference && is_float(v.dtype()) && v.dtype() != DType::hp
                              ? v.value().to(DType::hp)
                              : v.value());
  call.attrs = attrs;
  std::vector<DType> out_dtypes;
  for (const OutputDesc& d : outputs) {
    if (!d.dtype && !compute)
      throw Error(op, in_shapes, "output dtype not given and no float input to take it from");
    out_dtypes.push_back(d.dtype ? *d.dtype : *compute);
    // Not zero-filled: implementations write every element of their outputs (verify's canary
    // outputs check exactly that), and the fill was most of a large output's allocation cost.
    call.outputs.push_back(Tensor::uninitialized(d.shape, out_dtypes.back()));
  }
  impl->forward(call);

  bool record = false;
  if (g_grad_enabled)
    for (const Variable& v : inputs) record = record || v.requires_grad();

  std::shared_ptr<Node> node;
  if (record) {
    node = std::make_shared<Node>();
    node->impl = impl;
    node->compute = compute ? *compute : DType::f64;
    node->input_shapes = in_shapes;
    node->output_dtypes = out_dtypes;
    node->inputs.reserve(inputs.size());
    node->saved.reserve(inputs.size() + outputs.size());
    node->output_shapes.reserve(outputs.size());
    for (const OutputDesc& d : outputs) node->output_shapes.push_back(d.shape);
    for (const Variable& v : inputs) {
      node->inputs.push_back(v.requires_grad() && is_float(v.dtype()) ? v.impl() : nullptr);
      node->saved.push_back({v.impl()->version, *v.impl()->version});
    }
  }
  std::vector<Variable> result;
  result.reserve(outputs.size());
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    auto v = std::make_shared<VariableImpl>();
    v->value = call.outputs[o];
    if (node) {
      v->grad_fn = node;
      v->output_index = o;
      v->requires_grad = is_float(out_dtypes[o]);
      node->saved.push_back({v->version, 0});
    }
    result.emplace_back(std::move(v));
  }
  if (node) node->call = std::move(call);  // the tensors, saved for backward
  return result;
}

// ---- convenience functions -----------------------------------------------------------------

Variable add(const Variable& a, const Variable& b, const Backend& be) {
  return binary("add", a, b, be);
}
Variable sub(const Variable& a, const Variable& b, const Backend& be) {
  return binary("sub", a, b, be);
}
Variable mul(const Variable& a, const Variable& b, const Backend& be) {
  return binary("mul", a, b, be);
}
Variable div(const Variable& a, const Variable& b, const Backend& be) {
  return binary("div", a, b, be);
}
Variable maximum(const Variable& a, const Variable& b, const Backend& be) {
  return binary("maximum", a, b, be);
}
Variable neg(const Variable& x, const Backend& be) { return unary("neg", x, be); }
Variable exp(const Variable& x, const Backend& be) { return unary("exp", x, be); }
Variable log(const Variable& x, const Backend& be) { return unary("log", x, be); }
Variable tanh(const Variable& x, const Backend& be) { return unary("tanh", x, be); }
Variable sigmoid(const Variable& x, const Backend& be) { return unary("sigmoid", x, be); }
Variable relu(const Variable& x, const Backend& be) { return unary("relu", x, be); }

Variable matmul(const Variable& a, const Variable& b, const Backend& be) {
  return apply("matmul", {a, b}, {}, {{matmul_result_shape(a.shape(), b.shape()), std::nullopt}},
               be)
      .at(0);
}

Variable sum(const Variable& x, const std::vector<std::int64_t>& axes, bool keepdims,
             const Backend& be) {
  return reduction("sum", x, axes, keepdims, be);
}
Variable mean(const Variable& x, const std::vector<std::int64_t>& axes, bool keepdims,
              const Backend& be) {
  return reduction("mean", x, axes, keepdims, be);
}

Variable softmax(const Variable& x, std::int64_t axis, const Backend& be) {
  return apply("softmax", {x}, {{"axis", axis}}, {{x.shape(), std::nullopt}}, be).at(0);
}
Variable log_softmax(const Variable& x, std::int64_t axis, const Backend& be) {
  return apply("log_softmax", {x}, {{"axis", axis}}, {{x.shape(), std::nullopt}}, be).at(0);
}

}  // namespace vt::autograd
