"""Variants of hiercifar's training step, side by side in one run: which measure faster on this machine?

Every variant trains the course reports' three-headed CNN (channels_last, the precision `choose_precision` picks)
on the same pre-made on-device batches (data loading left out: it is the same for all). The variants are timed in
rounds, each round running every variant for `--steps` steps in a rotated order (so that a shared, noisy machine
slows them alike); per-step medians and the ratio to the baseline are printed. Not a test: run it by hand.

    python bench/step_variants.py [--steps 4] [--rounds 5] [--bs 256] [--device cpu] [--only base,foreach,...]
    python bench/step_variants.py --profile        # also the per-operator profile of one baseline step
    python bench/step_variants.py --eval           # also the validation forward's cost against a training step

Variants (the baseline is what `Learner` does today: AdamW with PyTorch's default implementation, zero_grad to None,
channels_last weights and batches, mkldnn on, all threads):
  foreach / fused    AdamW(foreach=True) / AdamW(fused=True)
  zero_grad_keep     opt.zero_grad(set_to_none=False)
  nchw               no channels_last (weights and batches NCHW)
  mkldnn_off         torch.backends.mkldnn.flags(enabled=False)
  threads_1          torch.set_num_threads(1) during the step
  no_avgpool         the AdaptiveAvgPool2d(4) that is a no-op on 4x4 maps replaced by Identity
  fused_noavg       fused AdamW and no_avgpool together
  compiled           torch.compile of the model (inductor fuses batch norm + ReLU, dropout, pooling); its first step
                     compiles forward and backward, which the warm-up pays and the table reports apart. This is what
                     `Learner(compile='auto')` switches to on a long run when it measures faster.
"""
import argparse, statistics, sys, time
import torch, torch.nn as nn
from hiercifar.hierarchy import Hierarchy
from hiercifar.data import default_device
from hiercifar.models import multihead_cnn, to_channels_last, choose_precision, precision_dtype
from hiercifar.losses import MultiHeadCE

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def make_step(h, dev, precision, channels_last=True, opt_kw=None, set_to_none=True, no_avgpool=False, model_fn=None,
              compile=False):
    "A training step closure of the course reports' CNN; returns (model, opt, step(xb, yb))."
    torch.manual_seed(0)
    model = (model_fn or multihead_cnn)(h).to(dev).train()
    if no_avgpool: model.body[3] = nn.Identity()   # AdaptiveAvgPool2d(4) on 32x32 inputs: already 4x4
    if channels_last: to_channels_last(model)
    fwd = torch.compile(model) if compile else model
    opt = torch.optim.AdamW(model.parameters(), 2e-3, weight_decay=5e-4, **(opt_kw or {}))
    dtype = precision_dtype(precision)
    scaler = torch.amp.GradScaler(dev.type, enabled=dtype == torch.float16)
    loss_fn = MultiHeadCE(h)
    def step(xb, yb, prof=None):
        rf = torch.profiler.record_function
        with rf('forward'):
            with torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = loss_fn(fwd(xb), yb)
        with rf('backward'): scaler.scale(loss).backward()
        with rf('optimizer'):
            scaler.step(opt); scaler.update(); opt.zero_grad(set_to_none=set_to_none)
        return loss
    return model, opt, step

def batches(h, dev, bs, n, channels_last=True, seed=0):
    "n random batches on `dev` (the Loader's output format: normalised float images, label dict)."
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randn(bs, 3, 32, 32, generator=g).to(dev)
        if channels_last: x = x.contiguous(memory_format=torch.channels_last)
        out.append((x, h.labels(torch.randint(0, 100, (bs,), generator=g).to(dev))))
    return out

def with_ctx(step, ctx_fn):
    def f(xb, yb):
        with ctx_fn(): return step(xb, yb)
    return f

class threads:
    def __init__(self, n): self.n = n
    def __enter__(self): self.old = torch.get_num_threads(); torch.set_num_threads(self.n)
    def __exit__(self, *a): torch.set_num_threads(self.old)

def variants(h, dev, prec, only=None):
    V = {'base': lambda: (make_step(h, dev, prec)[2], True),
         'foreach': lambda: (make_step(h, dev, prec, opt_kw=dict(foreach=True))[2], True),
         'fused': lambda: (make_step(h, dev, prec, opt_kw=dict(fused=True))[2], True),
         'zero_grad_keep': lambda: (make_step(h, dev, prec, set_to_none=False)[2], True),
         'nchw': lambda: (make_step(h, dev, prec, channels_last=False)[2], False),
         'no_avgpool': lambda: (make_step(h, dev, prec, no_avgpool=True)[2], True),
         'fused_noavg': lambda: (make_step(h, dev, prec, opt_kw=dict(fused=True), no_avgpool=True)[2], True)}
    from hiercifar.learner import compiler_available
    if compiler_available(dev): V['compiled'] = lambda: (make_step(h, dev, prec, compile=True)[2], True)
    if dev.type == 'cpu':
        V['mkldnn_off'] = lambda: (with_ctx(make_step(h, dev, prec)[2], lambda: torch.backends.mkldnn.flags(enabled=False)), True)
        if torch.get_num_threads() > 1: V['threads_1'] = lambda: (with_ctx(make_step(h, dev, prec)[2], lambda: threads(1)), True)
    keep = ['base'] + [k for k in (only or V) if k != 'base']
    bad = [k for k in keep if k not in V]
    if bad: sys.exit(f"unknown variant(s) {', '.join(bad)}: choose from {', '.join(V)}")
    return {k: V[k]() for k in keep}

def verdict(t, base):
    "'faster' if every round of `t` beat base's median, 'slower' if every round lost to it, else 'within noise'."
    m = statistics.median(base)
    return 'faster' if max(t) < m else 'slower' if min(t) > m else 'within noise'

def run_variants(h, dev, prec, bs, steps, rounds, only=None):
    "Median seconds per step of each variant, measured in rotated interleaved rounds; prints the table."
    vs = variants(h, dev, prec, only)
    data = {cl: batches(h, dev, bs, 4, cl) for cl in (True, False)}
    warm = {}
    for k, (step, cl) in vs.items():                      # warm-up: first-call overheads, oneDNN kernels, optimiser state,
        t = time.perf_counter()                           # and the compile of a compiled variant (its first step)
        for xb, yb in data[cl][:2]: step(xb, yb)
        sync(dev); warm[k] = time.perf_counter() - t
    times = {k: [] for k in vs}
    names = list(vs)
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for k in order:
            step, cl = vs[k]
            sync(dev); t = time.perf_counter()
            for i in range(steps): step(*data[cl][i % 4])
            sync(dev); times[k].append((time.perf_counter() - t) / steps)
        print(f"round {r + 1}/{rounds}: " + '  '.join(f"{k} {1e3 * v[-1]:.0f}" for k, v in times.items()) + " ms/step", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nstep variants (batch {bs}, {prec}, {dev}, {torch.get_num_threads()} threads; medians of {rounds} rotated rounds of {steps} steps):")
    print(f"{'variant':16s} {'ms/step':>8s} {'img/s':>7s} {'base/variant':>12s}  (>1: faster)  {'min..max ms':>12s}  verdict")
    for k, v in med.items():
        print(f"{k:16s} {1e3 * v:8.0f} {bs / v:7.1f} {med['base'] / v:12.3f}  {1e3 * min(times[k]):7.0f}..{1e3 * max(times[k]):.0f}  "
              f"{'' if k == 'base' else verdict(times[k], times['base'])}")
    kept = [k for k in med if k != 'base' and verdict(times[k], times['base']) == 'faster']
    print("faster than base in every round: " + (', '.join(kept) if kept else
          "none (on a shared machine a gain must beat the spread of the rounds to count)"))
    if 'compiled' in med:
        print(f"compiled: its two warm-up steps took {warm['compiled']:.0f} s against {warm['base']:.1f} s eager, so the compile "
              f"cost about {warm['compiled'] - warm['base']:.0f} s" + (f" and pays back after "
              f"{(warm['compiled'] - warm['base']) / (med['base'] - med['compiled']):.0f} steps" if med['compiled'] < med['base'] else
              "; it is not faster here, so compile='auto' keeps the eager model"))
    return med, times

def run_eval(h, dev, prec, bs, rounds):
    "Validation cost: eval-mode forward under no_grad (what Learner does) and under inference_mode, per image, vs a training step."
    model, _, step = make_step(h, dev, prec)
    dtype = precision_dtype(prec)
    (xb, yb), = batches(h, dev, bs, 1)
    def fwd(ctx):
        model.eval()
        with ctx(), torch.autocast(dev.type, dtype=dtype or torch.float32, enabled=dtype is not None): model(xb)
        model.train()
    fns = {'train step': lambda: step(xb, yb), 'eval no_grad': lambda: fwd(torch.no_grad),
           'eval inference_mode': lambda: fwd(torch.inference_mode)}
    for f in fns.values(): f()
    times = {k: [] for k in fns}
    for r in range(rounds):
        for k, f in fns.items():
            sync(dev); t = time.perf_counter(); f(); sync(dev); times[k].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\nvalidation cost (batch {bs}, medians of {rounds} rounds): " + ', '.join(
        f"{k} {1e3 * v:.0f} ms ({bs / v:.0f} img/s)" for k, v in med.items())
        + f"; an eval image costs {med['eval no_grad'] / med['train step']:.2f} of a training image; "
          f"no_grad / inference_mode = {med['eval no_grad'] / med['eval inference_mode']:.3f}")
    return med

PHASES = ('forward', 'backward', 'optimizer')

def profile_step(h, dev, prec, bs, n=2, top=15, step=None):
    "Per-operator profile of `n` training steps (after warm-up): forward, backward, optimiser; prints the tables."
    from torch.profiler import profile, ProfilerActivity
    if step is None: step = make_step(h, dev, prec)[2]
    data = batches(h, dev, bs, 2)
    step(*data[0])   # warm-up: oneDNN kernels, optimiser state
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == 'cuda' else [])
    sync(dev)
    with profile(activities=acts) as prof:
        for i in range(n): step(*data[i % 2])
        sync(dev)
    dev_time = dev.type == 'cuda'
    key = 'self_device_time_total' if dev_time else 'self_cpu_time_total'
    evs = [e for e in prof.events() if e.name not in PHASES]
    def phase(e):
        p = e.cpu_parent
        while p is not None and p.name not in PHASES: p = p.cpu_parent
        return p.name if p is not None else 'other'
    # operator name -> [self time per phase], calls
    ops, total = {}, 0.
    for e in evs:
        t = getattr(e, key, 0) if dev_time else e.self_cpu_time_total
        if not t: continue
        d = ops.setdefault(e.name, {'calls': 0, **{p: 0. for p in PHASES + ('other',)}})
        d['calls'] += 1; d[phase(e)] += t; total += t
    phase_tot = {p: sum(d[p] for d in ops.values()) for p in PHASES + ('other',)}
    what = 'self CUDA time' if dev_time else 'self CPU time'
    print(f"\nprofile of {n} training steps (batch {bs}, {prec}, {dev}, {torch.get_num_threads()} threads), {what} "
          f"{total / 1e3 / n:.0f} ms per step: " + ', '.join(f"{p} {100 * phase_tot[p] / total:.0f}%" for p in PHASES + ('other',)
                                                               if phase_tot[p]))
    print(f"{'operator':42s} {'ms/step':>8s} {'%':>5s} {'calls':>6s}  {'fwd%':>5s} {'bwd%':>5s} {'opt%':>5s}")
    rows = sorted(ops.items(), key=lambda kv: -sum(kv[1][p] for p in PHASES + ('other',)))
    for name, d in rows[:top]:
        t = sum(d[p] for p in PHASES + ('other',))
        print(f"{name[:42]:42s} {t / 1e3 / n:8.1f} {100 * t / total:5.1f} {d['calls'] // n:6d}  "
              + ' '.join(f"{100 * d[p] / total:5.1f}" for p in PHASES))
    rest = sum(sum(d[p] for p in PHASES + ('other',)) for _, d in rows[top:])
    print(f"{f'({len(rows) - top} other operators)':42s} {rest / 1e3 / n:8.1f} {100 * rest / total:5.1f}")
    # coarse groups: where the non-convolution time goes
    groups = {'convolution': ('conv',), 'batch norm': ('batch_norm',), 'ReLU': ('relu', 'threshold'),
              'dropout': ('dropout', 'bernoulli'), 'pooling': ('pool',), 'linear (heads, fc)': ('addmm', 'mm', 'linear', '::t'),
              'copies / layout': ('copy_', 'contiguous', 'clone', 'aten::to', '_to_copy', 'reshape', 'view', 'empty_like'),
              'loss': ('cross_entropy', 'log_softmax', 'nll_loss'),
              'optimiser arithmetic': ('_foreach', 'adam', 'lerp', 'addcdiv', 'addcmul', 'sqrt', 'mul_', 'add_', 'div_')}
    gsum = {g: 0. for g in groups}; gsum['other'] = 0.
    for name, d in ops.items():
        t = sum(d[p] for p in PHASES + ('other',))
        g = next((g for g, keys in groups.items() if any(k in name.lower() for k in keys)), 'other')
        gsum[g] += t
    print("by kind: " + ', '.join(f"{g} {100 * v / total:.0f}%" for g, v in sorted(gsum.items(), key=lambda kv: -kv[1]) if v))
    return ops, total / n

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--steps', type=int, default=4, help='timed steps per variant per round')
    p.add_argument('--rounds', type=int, default=5)
    p.add_argument('--bs', type=int, default=256)
    p.add_argument('--device', default=None, help='cpu or cuda (default: CUDA when available)')
    p.add_argument('--precision', default='auto')
    p.add_argument('--only', default=None, help='comma-separated variants to compare with base')
    p.add_argument('--profile', action='store_true', help='also print the per-operator profile of the baseline step')
    p.add_argument('--eval', action='store_true', help='also time the validation forward (no_grad vs inference_mode) against a step')
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads for the whole run (default: PyTorch\'s)')
    args = p.parse_args()
    if args.threads: torch.set_num_threads(args.threads)
    dev = torch.device(args.device) if args.device else default_device()
    if dev.type == 'cuda' and not torch.cuda.is_available(): sys.exit("--device cuda asked for, but PyTorch sees no CUDA GPU here")
    h = Hierarchy.cifar100()
    prec = choose_precision(dev, args.precision)
    if args.profile: profile_step(h, dev, prec, args.bs)
    if args.eval: run_eval(h, dev, prec, args.bs, args.rounds)
    if args.rounds > 0: run_variants(h, dev, prec, args.bs, args.steps, args.rounds, args.only.split(',') if args.only else None)
